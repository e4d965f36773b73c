# vm tier: host control (shuntctl, ioctl_ctl) on real PCI NICs the guest kernel drives, in the
# ctl topology (00:02.0 on vfio-pci, 00:03.0 the peer, 00:04.0 a kernel NIC to hand over).
# Included from tests/vm/CMakeLists.txt.
#
#   vm.ctl.status        shuntctl status (text and --json) against the guest's sysfs: drivers,
#                        IOMMU groups and members, interfaces, usable/active
#   vm.ctl.bind          bind refused for the active NIC; the idle NIC to vfio-pci (shunt-pcap
#                        drives it) and back to its kernel driver with its interface
#   vm.ctl.kernel-stack  kernel-stack off --unbind, shuntd serves the same address to the peer,
#                        kernel-stack on: the kernel answers again, ip -j state as before
#   vm.ctl.group         bridge topology (two e1000 in one IOMMU group): bind refused naming the
#                        other NIC and its driver; forced, status says not usable until it goes
if(NOT TARGET shuntctl OR NOT TARGET shuntd OR NOT TARGET shunt-pcap)
  message(STATUS "vm tier: no shuntctl/shuntd/shunt-pcap targets, ctl vm tests not registered")
  return()
endif()

# iproute2's ip (busybox's has no netns) for the peer's namespace.
find_program(SHUNT_IPROUTE2_IP NAMES ip PATHS /usr/bin /usr/sbin /bin /sbin NO_DEFAULT_PATH)
shunt_vm_test(ctl.status e1000e iommu ctl_status.sh TOPOLOGY ctl HOST_CHECK ctl_status.sh
              $<TARGET_FILE:shuntctl>)
shunt_vm_test(ctl.bind e1000e iommu ctl_bind.sh TOPOLOGY ctl TIMEOUT 150
              $<TARGET_FILE:shuntctl> $<TARGET_FILE:shunt-pcap>)
if(SHUNT_IPROUTE2_IP)
  shunt_vm_test(ctl.kernel-stack e1000e iommu ctl_kernel_stack.sh TOPOLOGY ctl TIMEOUT 180
                $<TARGET_FILE:shuntctl> $<TARGET_FILE:shuntd> ${SHUNT_IPROUTE2_IP})
else()
  message(WARNING "vm tier: iproute2's ip not found; vm.ctl.kernel-stack not registered")
endif()

# channels/RSS on the guest kernel's igb: QEMU >= 8 has the model (scripts/install-deps.sh
# installs QEMU 10 from bookworm-backports).
find_program(SHUNT_ETHTOOL NAMES ethtool PATHS /usr/sbin /sbin NO_DEFAULT_PATH)
if(SHUNT_ETHTOOL)
  shunt_vm_test(ctl.channels-rss e1000e iommu ctl_channels.sh TOPOLOGY igb TIMEOUT 150
                $<TARGET_FILE:shuntctl> ${SHUNT_ETHTOOL})
else()
  message(WARNING "vm tier: ethtool not found; vm.ctl.channels-rss not registered")
endif()

# IOMMU-group viability as shuntctl sees it (bind refusal, status usable), in the bridge
# topology where two e1000 share a group.
shunt_vm_test(ctl.group e1000e iommu ctl_group.sh TOPOLOGY bridge $<TARGET_FILE:shuntctl>)
