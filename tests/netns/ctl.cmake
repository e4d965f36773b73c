# netns tier for shuntctl and ioctl_ctl: veth and dummy interfaces in namespaces each test
# creates (two per test: the subject and a peer); nothing touches the root namespace. Root
# only: a test exits 77 (skipped) otherwise.
if(NOT TARGET shuntctl)
  message(STATUS "netns tier: no shuntctl target, ctl tests not registered")
  return()
endif()

function(shunt_ctl_netns_test name)
  add_test(NAME netns.${name}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/${name}.sh $<TARGET_FILE:shuntctl>)
  set_tests_properties(netns.${name} PROPERTIES
                       LABELS netns
                       TIMEOUT 300
                       SKIP_RETURN_CODE 77)
endfunction()

shunt_ctl_netns_test(ctl_kernel_stack)
shunt_ctl_netns_test(ctl_crash)
shunt_ctl_netns_test(ctl_ethtool)
shunt_ctl_netns_test(ctl_status)
shunt_ctl_netns_test(ctl_restore)
shunt_ctl_netns_test(ctl_stale)
