# TCP's input path as a libFuzzer target (fuzz_tcp_stack.cpp): the transport libraries again,
# with coverage instrumentation and sanitizers, for this fuzzer only.
shunt_fuzz_instrumented(shunt_tcp_fuzz shunt_driver shunt_iface shunt_tcp_algo shunt_tcp)
target_link_libraries(shunt_tcp_fuzz PUBLIC shunt_wire_fuzz shunt_base)
shunt_fuzz_target(tcp_stack shunt_tcp_fuzz)
