# RFC 1071 checksum throughput: shunt's 64-bit summation next to the textbook 16-bit loop.
shunt_bench(bench_checksum SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/checksum_bench.cpp LIBS shunt_wire)
