# The connection machinery as a black box, one file per group of states, and two stacks
# over a simulated lossy link.
shunt_unit_test(test_tcp_connection
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/tcp_open_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_established_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_close_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_rst_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_options_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_retransmit_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_sack_recovery_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_timers_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tcp_random_segments_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/send_queue_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/timer_heap_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/conn_table_test.cpp
  LIBS shunt_tcp
)
shunt_unit_test(test_tcp_sim_link
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tcp_sim_link_test.cpp
  LIBS shunt_tcp
)
shunt_unit_test(test_tcp_interface
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tcp_interface_test.cpp
  LIBS shunt_tcp
)
