# TCP's input path as a libFuzzer target (fuzz_tcp_stack.cpp): the transport libraries again,
# with coverage instrumentation and sanitizers, for this fuzzer only.
set(tcp_fuzz_sources)
foreach(lib shunt_driver shunt_iface shunt_tcp_algo shunt_tcp)
  get_target_property(srcs ${lib} SOURCES)
  get_target_property(dir ${lib} SOURCE_DIR)
  foreach(src IN LISTS srcs)
    if(NOT IS_ABSOLUTE "${src}")
      set(src "${dir}/${src}")
    endif()
    list(APPEND tcp_fuzz_sources "${src}")
  endforeach()
endforeach()
add_library(shunt_tcp_fuzz STATIC ${tcp_fuzz_sources})
target_link_libraries(shunt_tcp_fuzz PUBLIC shunt_wire_fuzz shunt_base)
target_compile_options(shunt_tcp_fuzz PRIVATE
  -fsanitize=fuzzer-no-link,${SHUNT_FUZZ_SANITIZERS} -fno-sanitize-recover=undefined)

add_executable(fuzz_tcp_stack fuzz_tcp_stack.cpp)
target_compile_options(fuzz_tcp_stack PRIVATE
  -fsanitize=fuzzer,${SHUNT_FUZZ_SANITIZERS} -fno-sanitize-recover=undefined)
target_link_options(fuzz_tcp_stack PRIVATE -fsanitize=fuzzer,${SHUNT_FUZZ_SANITIZERS})
target_link_libraries(fuzz_tcp_stack PRIVATE shunt_tcp_fuzz)
list(APPEND fuzz_executables fuzz_tcp_stack)
if(SHUNT_BUILD_TESTS)
  set(scratch ${CMAKE_CURRENT_BINARY_DIR}/corpus/tcp_stack)
  file(MAKE_DIRECTORY ${scratch} ${CMAKE_CURRENT_BINARY_DIR}/artifacts)
  add_test(NAME fuzz.tcp_stack
    COMMAND fuzz_tcp_stack -max_total_time=10
            -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/artifacts/tcp_stack-
            ${scratch} ${CMAKE_CURRENT_SOURCE_DIR}/corpus/tcp_stack)
  set_tests_properties(fuzz.tcp_stack PROPERTIES LABELS fuzz TIMEOUT 120)
endif()
