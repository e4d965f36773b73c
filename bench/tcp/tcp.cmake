# shunt-tcp-bench: TCP transactions/s, bulk throughput, connections/s and memory per idle
# connection for shunt (once its TCP lands), Linux (veth between two netns) and lwIP 2.1.3
# (on the same in-memory wire as shunt). Run it through bench/tcp/run.sh. Not part of ctest.
set(SHUNT_TCP_BENCH_DIR ${CMAKE_CURRENT_LIST_DIR})

# lwIP's core is built here from Debian's source package (2.1.3+dfsg1-2, patches applied):
# Debian's liblwip0 is the GNU Hurd build (NO_SYS=0, malloc'd pools, no stats), see
# docs/PERFORMANCE.md. bench/tcp/fetch-lwip-source.sh puts the tree at the default place.
set(SHUNT_LWIP_SOURCE_DIR "${CMAKE_BINARY_DIR}/third_party/lwip-2.1.3" CACHE PATH
    "lwIP 2.1.3 source tree (Debian source package) for the lwIP contender")
set(SHUNT_BENCH_HAVE_LWIP 0)
if(EXISTS "${SHUNT_LWIP_SOURCE_DIR}/src/core/tcp.c")
  set(SHUNT_BENCH_HAVE_LWIP 1)
  enable_language(C)
  set(_lwip ${SHUNT_LWIP_SOURCE_DIR}/src)
  add_library(shunt_bench_lwip STATIC
    ${_lwip}/core/init.c ${_lwip}/core/def.c ${_lwip}/core/inet_chksum.c ${_lwip}/core/ip.c
    ${_lwip}/core/mem.c ${_lwip}/core/memp.c ${_lwip}/core/netif.c ${_lwip}/core/pbuf.c
    ${_lwip}/core/stats.c ${_lwip}/core/sys.c ${_lwip}/core/tcp.c ${_lwip}/core/tcp_in.c
    ${_lwip}/core/tcp_out.c ${_lwip}/core/timeouts.c ${_lwip}/core/udp.c ${_lwip}/core/raw.c
    ${_lwip}/core/ipv4/etharp.c ${_lwip}/core/ipv4/icmp.c ${_lwip}/core/ipv4/ip4.c
    ${_lwip}/core/ipv4/ip4_addr.c ${_lwip}/core/ipv4/ip4_frag.c ${_lwip}/netif/ethernet.c)
  # Their code, their warnings: ours stay errors, theirs are not ours to fix.
  target_compile_options(shunt_bench_lwip PRIVATE -w -O2)
  target_include_directories(shunt_bench_lwip SYSTEM PUBLIC
    ${SHUNT_TCP_BENCH_DIR}/lwip_port ${_lwip}/include)
endif()

add_executable(shunt-tcp-bench
  ${SHUNT_TCP_BENCH_DIR}/main.cpp
  ${SHUNT_TCP_BENCH_DIR}/contenders.cpp
  ${SHUNT_TCP_BENCH_DIR}/report.cpp
  ${SHUNT_TCP_BENCH_DIR}/interrupt.cpp
  ${SHUNT_TCP_BENCH_DIR}/command.cpp
  ${SHUNT_TCP_BENCH_DIR}/child_process.cpp
  ${SHUNT_TCP_BENCH_DIR}/mem_wire.cpp
  ${SHUNT_TCP_BENCH_DIR}/wire_selftest.cpp
  ${SHUNT_TCP_BENCH_DIR}/netns_pair.cpp
  ${SHUNT_TCP_BENCH_DIR}/socket_workloads.cpp
  ${SHUNT_TCP_BENCH_DIR}/linux_contender.cpp)
target_link_libraries(shunt-tcp-bench PRIVATE shunt_driver CLI11::CLI11)
# shunt's column appears by itself once its TCP library exists and shunt_contender.cpp
# (make_shunt_contender(): two threads, an Interface on each MemWire endpoint) is written.
set(SHUNT_BENCH_HAVE_SHUNT_TCP 0)
if(TARGET shunt_tcp AND EXISTS ${SHUNT_TCP_BENCH_DIR}/shunt_contender.cpp)
  set(SHUNT_BENCH_HAVE_SHUNT_TCP 1)
  target_sources(shunt-tcp-bench PRIVATE ${SHUNT_TCP_BENCH_DIR}/shunt_contender.cpp)
  target_link_libraries(shunt-tcp-bench PRIVATE shunt_tcp shunt_iface)
endif()
target_compile_definitions(shunt-tcp-bench PRIVATE
  SHUNT_BENCH_HAVE_LWIP=${SHUNT_BENCH_HAVE_LWIP}
  SHUNT_BENCH_HAVE_SHUNT_TCP=${SHUNT_BENCH_HAVE_SHUNT_TCP})
if(SHUNT_BENCH_HAVE_LWIP)
  target_sources(shunt-tcp-bench PRIVATE
    ${SHUNT_TCP_BENCH_DIR}/lwip_port.cpp
    ${SHUNT_TCP_BENCH_DIR}/lwip_workloads.cpp
    ${SHUNT_TCP_BENCH_DIR}/lwip_contender.cpp)
  target_link_libraries(shunt-tcp-bench PRIVATE shunt_bench_lwip)
endif()
