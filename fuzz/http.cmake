# The HTTP/1.1 parser and server session (stack/app) as a libFuzzer target, built like the
# wire targets: the app library again with coverage instrumentation and sanitizers.
find_package(OpenSSL REQUIRED)
shunt_fuzz_instrumented(shunt_app_fuzz shunt_app)
target_link_libraries(shunt_app_fuzz PUBLIC shunt_base PRIVATE OpenSSL::Crypto)
# fuzz_check.hpp includes a wire header; the wire library itself is not linked.
shunt_fuzz_target(http shunt_app_fuzz shunt_base)
