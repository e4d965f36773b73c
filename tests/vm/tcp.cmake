# vm tier: shunt's TCP against the Linux kernel's TCP under `tc netem` (issue 4's impaired-link
# runs). The host kernel here has no sch_netem (netns.tcp_http_netem skips); Debian's guest
# kernel has it. Both directions are impaired on the kernel's side, as in the netns tier.
#
#   vm.tcp.netem.tap     shuntd on a TAP of the guest: the netns tier's setting
#   vm.tcp.netem.e1000e  shuntd on the VFIO e1000e (our driver, interrupt mode, IOMMU)
#
# Each: GET /bytes/N (8 sizes and a big one), keep-alive, 404, POST /sink, socat echo and
# discard, SHUNT_CONCURRENT connections at once, and shunt-nc's active open to the kernel's
# socat echo; every byte checked (guest/tcp_netem.sh). Sizes are smaller than the netns tier's
# (1 GiB, 200 MiB): under TCG and 5 % loss the link moves a few Mbit/s (docs/testing.md).
if(NOT TARGET shuntd OR NOT TARGET shunt-nc)
  message(STATUS "vm tier: no shuntd/shunt-nc targets, TCP vm tests not registered")
  return()
endif()
set(tools curl socat tc ip ethtool)
set(tool_paths "")
foreach(tool IN LISTS tools)
  find_program(SHUNT_VM_TOOL_${tool} NAMES ${tool} PATHS /usr/bin /usr/sbin /bin /sbin
               NO_DEFAULT_PATH)
  if(NOT SHUNT_VM_TOOL_${tool})
    message(WARNING "vm tier: ${tool} not found (scripts/install-deps.sh installs it); "
                    "vm.tcp.netem.* not registered")
    return()
  endif()
  list(APPEND tool_paths ${SHUNT_VM_TOOL_${tool}})
endforeach()

set(SHUNT_VM_NETEM "loss 5% delay 2ms reorder 25% 50% duplicate 1%")
foreach(variant tap e1000e)
  if(variant STREQUAL "tap")
    set(nic tap)
  else()
    set(nic pci)
  endif()
  shunt_vm_test(tcp.netem.${variant} e1000e iommu tcp_netem.sh TIMEOUT 900
                $<TARGET_FILE:shuntd> $<TARGET_FILE:shunt-nc> ${tool_paths}
                ENV "SHUNT_TCP_NIC=${nic}" "SHUNT_NETEM=${SHUNT_VM_NETEM}" SHUNT_BIG_MB=16
                    SHUNT_UP_MB=8 SHUNT_ECHO_MB=2 SHUNT_CONCURRENT=500)
endforeach()
