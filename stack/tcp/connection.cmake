# The TCP connection machinery: connection table, listeners, TCB state machine (RFC 9293),
# options, reliability and the zero-copy socket API. Uses the algorithms in shunt_tcp_algo.
add_library(shunt_tcp STATIC
  ${CMAKE_CURRENT_LIST_DIR}/send_queue.cpp
  ${CMAKE_CURRENT_LIST_DIR}/recv_queue.cpp
  ${CMAKE_CURRENT_LIST_DIR}/time_wait.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tcp_stack.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tcp_time_wait_cookies.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tcp_state.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tcp_input.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tcp_ack.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tcp_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tcp_output.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tcp_timers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tcp_api.cpp
)
target_link_libraries(shunt_tcp PUBLIC shunt_tcp_algo shunt_tcp_seq shunt_iface shunt_wire
                                        shunt_driver)
