# The TCP algorithms: RTO estimation, congestion control (NewReno, CUBIC), ISNs, SYN cookies
# and the SACK scoreboard. Pure arithmetic over passed-in time; no I/O.
add_library(shunt_tcp_algo STATIC
  ${CMAKE_CURRENT_LIST_DIR}/rto.cpp
  ${CMAKE_CURRENT_LIST_DIR}/congestion.cpp
  ${CMAKE_CURRENT_LIST_DIR}/newreno.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cubic.cpp
  ${CMAKE_CURRENT_LIST_DIR}/isn.cpp
  ${CMAKE_CURRENT_LIST_DIR}/syn_cookie.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sack_scoreboard.cpp
)
target_link_libraries(shunt_tcp_algo PUBLIC shunt_tcp_seq shunt_wire shunt_base)
