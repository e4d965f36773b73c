shunt_bench(bench_mempool SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mempool_bench.cpp LIBS shunt_driver)
