# The HTTP/1.1 parser and server session (stack/app) as a libFuzzer target, built like the
# wire targets: the app library again with coverage instrumentation and sanitizers.
find_package(OpenSSL REQUIRED)
get_target_property(app_sources shunt_app SOURCES)
get_target_property(app_dir shunt_app SOURCE_DIR)
list(TRANSFORM app_sources PREPEND "${app_dir}/")
add_library(shunt_app_fuzz STATIC ${app_sources})
target_link_libraries(shunt_app_fuzz PUBLIC shunt_base PRIVATE OpenSSL::Crypto)
target_compile_options(shunt_app_fuzz PRIVATE
  -fsanitize=fuzzer-no-link,${SHUNT_FUZZ_SANITIZERS} -fno-sanitize-recover=undefined)

add_executable(fuzz_http fuzz_http.cpp)
target_compile_options(fuzz_http PRIVATE
  -fsanitize=fuzzer,${SHUNT_FUZZ_SANITIZERS} -fno-sanitize-recover=undefined)
target_link_options(fuzz_http PRIVATE -fsanitize=fuzzer,${SHUNT_FUZZ_SANITIZERS})
# fuzz_check.hpp includes a wire header; the wire library itself is not linked.
target_link_libraries(fuzz_http PRIVATE shunt_app_fuzz shunt_base)
list(APPEND fuzz_executables fuzz_http)
if(SHUNT_BUILD_TESTS)
  set(scratch ${CMAKE_CURRENT_BINARY_DIR}/corpus/http)
  file(MAKE_DIRECTORY ${scratch} ${CMAKE_CURRENT_BINARY_DIR}/artifacts)
  add_test(NAME fuzz.http
    COMMAND fuzz_http -max_total_time=10
            -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/artifacts/http-
            ${scratch} ${CMAKE_CURRENT_SOURCE_DIR}/corpus/http)
  set_tests_properties(fuzz.http PROPERTIES LABELS fuzz TIMEOUT 120)
endif()
