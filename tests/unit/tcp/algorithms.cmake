# The TCP algorithms against the RFCs' formulas and published test vectors.
shunt_unit_test(test_tcp_algo
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/rto_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/newreno_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cubic_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/isn_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/syn_cookie_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sack_scoreboard_test.cpp
  LIBS shunt_tcp_algo
)
