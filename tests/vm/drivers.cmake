# vm tier: the user-space e1000/e1000e drivers (driver/pci_nic.hpp) in a guest, against the
# guest kernel's own e1000/e1000e as the peer, for both NIC models with and without an IOMMU.
# Included from tests/vm/CMakeLists.txt; uses its run-guest.sh and cache fixtures.
#
#   vm.drv.<model>.<mode>.tx      link up, MAC read; shunt-pktgen's frames (software checksums,
#                                 then checksum offload) counted by the peer and found
#                                 byte-exact in wire.pcap on the host
#   vm.drv.<model>.<mode>.rx      the peer's pings captured by shunt-pcap (polling); the pcap
#                                 comes back on the console and is checked on the host
#   vm.drv.<model>.<mode>.rx-irq  the same with shunt-pcap asleep on the interrupt eventfd of
#                                 the best kind (INTx on e1000, MSI-X on e1000e); the vector
#                                 must have fired
#   vm.drv.e1000e.iommu.rx-msi    the same with MSI forced on the e1000e (--irq msi)
#   vm.drv.<model>.<mode>.fwd     shunt-fwd between two VFIO NICs on two hubs (fwd topology),
#                                 each kernel peer pinging through it; every request found
#                                 byte-exact on the other hub's wire
#   vm.drv.group-not-viable       two e1000 behind a PCIe-to-PCI bridge share a group: one on
#                                 vfio-pci, one on e1000 gives one error line naming the other;
#                                 unbinding it makes the group viable
#   vm.drv.<model>.<mode>.rate    pktgen's rate under TCG, printed (never pass/fail on speed)
#   vm.drv.e1000e.<mode>.unplug   an unbind from vfio-pci while shunt-pcap runs: the VFIO
#                                 request interrupt makes it release the device and exit 1 with
#                                 one line, and the unbind completes within 10 s
#   vm.drv.e1000e.iommu.unplug-shuntd  the same with shuntd answering pings

if(NOT TARGET shunt-pktgen OR NOT TARGET shunt-pcap)
  message(STATUS "vm tier: no shunt-pktgen/shunt-pcap targets, driver vm tests not registered")
  return()
endif()

set(SHUNT_DRV_FRAMES_TX 200)
set(SHUNT_DRV_FRAMES_RX 50)

# shunt_drv_vm_test(NAME MODEL MODE SCRIPT [ENV NAME=VALUE...] [CHECK ARGS...])
#   Like shunt_vm_test, with shunt-pktgen and shunt-pcap in the guest's PATH, and when CHECK is
#   given, drv_wire_check.py runs on the host with ARGS after the guest passed ("@OUT@" in ARGS
#   is the run's output directory: serial.log, wire.pcap).
function(shunt_drv_vm_test name model mode script)
  cmake_parse_arguments(ARG "" "TIMEOUT;TOPOLOGY" "ENV;CHECK;BINS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 150)
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/vm-out/drv.${name})
  set(args --model ${model} --mode ${mode} --script ${SHUNT_VM_DIR}/guest/${script}
           --timeout ${ARG_TIMEOUT} --out ${out}
           --bin $<TARGET_FILE:shunt-pktgen> --bin $<TARGET_FILE:shunt-pcap>)
  if(ARG_TOPOLOGY)
    list(APPEND args --topology ${ARG_TOPOLOGY})
  endif()
  foreach(bin IN LISTS ARG_BINS)
    list(APPEND args --bin ${bin})
  endforeach()
  foreach(env IN LISTS ARG_ENV)
    list(APPEND args --env ${env})
  endforeach()
  set(check "true")
  if(ARG_CHECK)
    string(REPLACE "@OUT@" "${out}" check_args "${ARG_CHECK}")
    string(REPLACE ";" " " check_args "${check_args}")
    set(check "python3 ${SHUNT_VM_DIR}/drv_wire_check.py ${check_args}")
  endif()
  add_test(NAME vm.drv.${name}
           COMMAND bash -c "bash \"\$0\" \"\$@\" && ${check}" ${SHUNT_VM_DIR}/run-guest.sh ${args})
  set(fixtures vm_kernel)
  if(mode STREQUAL "noiommu")
    list(APPEND fixtures vm_noiommu)
  endif()
  math(EXPR ctest_timeout "${ARG_TIMEOUT} + 180")
  set_tests_properties(vm.drv.${name} PROPERTIES
                       LABELS vm
                       TIMEOUT ${ctest_timeout}
                       FIXTURES_REQUIRED "${fixtures}")
endfunction()

foreach(model e1000 e1000e)
  foreach(mode iommu noiommu)
    shunt_drv_vm_test(${model}.${mode}.tx ${model} ${mode} drv_tx.sh
                      ENV DRV_FRAMES=${SHUNT_DRV_FRAMES_TX}
                      CHECK tx @OUT@/wire.pcap 0:${SHUNT_DRV_FRAMES_TX}:60
                            ${SHUNT_DRV_FRAMES_TX}:${SHUNT_DRV_FRAMES_TX}:1000)
    shunt_drv_vm_test(${model}.${mode}.rx ${model} ${mode} drv_rx.sh
                      ENV DRV_FRAMES=${SHUNT_DRV_FRAMES_RX}
                      CHECK rx @OUT@/serial.log ${SHUNT_DRV_FRAMES_RX})
    if(model STREQUAL "e1000")
      set(best_irq intx)
    else()
      set(best_irq msix)
    endif()
    shunt_drv_vm_test(${model}.${mode}.rx-irq ${model} ${mode} drv_rx.sh
                      ENV DRV_FRAMES=${SHUNT_DRV_FRAMES_RX} DRV_IRQ=best DRV_IRQ_EXPECT=${best_irq}
                      CHECK rx @OUT@/serial.log ${SHUNT_DRV_FRAMES_RX})
    shunt_drv_vm_test(${model}.${mode}.rate ${model} ${mode} drv_rate.sh)
  endforeach()
endforeach()
# vm.drv.<model>.<mode>.fwd: shunt-fwd between two VFIO NICs on two hubs, both ways at once.
if(TARGET shunt-fwd)
  foreach(model e1000 e1000e)
    foreach(mode iommu noiommu)
      shunt_drv_vm_test(${model}.${mode}.fwd ${model} ${mode} drv_fwd.sh TOPOLOGY fwd
                        BINS $<TARGET_FILE:shunt-fwd>
                        ENV DRV_FRAMES=${SHUNT_DRV_FRAMES_RX}
                        CHECK fwd @OUT@/wire.pcap @OUT@/wire-b.pcap ${SHUNT_DRV_FRAMES_RX})
    endforeach()
  endforeach()
endif()

# vm.drv.e1000e.<mode>.unplug: the kernel asks for the device back (issue 11, device faults).
foreach(mode iommu noiommu)
  shunt_drv_vm_test(e1000e.${mode}.unplug e1000e ${mode} drv_unplug.sh)
endforeach()
if(TARGET shuntd)
  shunt_drv_vm_test(e1000e.iommu.unplug-shuntd e1000e iommu drv_unplug.sh
                    BINS $<TARGET_FILE:shuntd> ENV UNPLUG_TOOL=shuntd)
endif()

# vm.drv.group-not-viable: two NICs in one IOMMU group behind a PCIe-to-PCI bridge.
shunt_drv_vm_test(group-not-viable e1000e iommu group-not-viable.sh TOPOLOGY bridge)

shunt_drv_vm_test(e1000e.iommu.rx-msi e1000e iommu drv_rx.sh
                  ENV DRV_FRAMES=${SHUNT_DRV_FRAMES_RX} DRV_IRQ=msi DRV_IRQ_EXPECT=msi
                  CHECK rx @OUT@/serial.log ${SHUNT_DRV_FRAMES_RX})

# vm.shuntd.<model>.<mode>: the daemon itself on the VFIO NIC, the guest kernel as its peer.
if(TARGET shuntd AND TARGET udp_echo_check)
  foreach(model e1000 e1000e)
    foreach(mode iommu noiommu)
      set(out ${CMAKE_CURRENT_BINARY_DIR}/vm-out/shuntd.${model}.${mode})
      add_test(NAME vm.shuntd.${model}.${mode}
               COMMAND bash ${SHUNT_VM_DIR}/run-guest.sh --model ${model} --mode ${mode}
                       --script ${SHUNT_VM_DIR}/guest/drv_shuntd.sh --timeout 150 --out ${out}
                       --bin $<TARGET_FILE:shuntd> --bin $<TARGET_FILE:udp_echo_check>)
      set(fixtures vm_kernel)
      if(mode STREQUAL "noiommu")
        list(APPEND fixtures vm_noiommu)
      endif()
      set_tests_properties(vm.shuntd.${model}.${mode} PROPERTIES
                           LABELS vm TIMEOUT 330 FIXTURES_REQUIRED "${fixtures}")
    endforeach()
  endforeach()
endif()

# igb (82576, QEMU >= 8's -device igb; the guest kernel's igb is the peer at 00:0a.0):
#   vm.drv.igb.<mode>.tx     as for e1000/e1000e: pktgen's frames, software checksums and then
#                            offload through advanced context descriptors, byte-exact on the wire
#   vm.drv.igb.<mode>.rx     the peer's pings captured by shunt-pcap through advanced descriptors
#   vm.drv.igb.<mode>.rss    igb_rss_probe on 4 queue pairs: the kernel's TCP flows spread over
#                            more than one queue, each frame on the queue the redirection table
#                            gives and with the hash the software Toeplitz computes
#   vm.drv.igb.<mode>.rss-irq the same asleep on the 4 queues' MSI-X vectors (one each)
#   vm.drv.igb.<mode>.rss-symmetric  the same with the symmetric key (0x6d5a repeated)
#   vm.drv.igb.<mode>.rx-irq  drv.rx with shunt-pcap asleep on the MSI-X vector of queue 0
#   vm.shuntd.igb.<mode>     shuntd on the igb: ping (also fragmented) and TCP both ways (GET
#                            /bytes/N, POST /sink), every byte checked
foreach(mode iommu noiommu)
  shunt_drv_vm_test(igb.${mode}.tx igb ${mode} drv_tx.sh
                    ENV DRV_FRAMES=${SHUNT_DRV_FRAMES_TX}
                    CHECK tx @OUT@/wire.pcap 0:${SHUNT_DRV_FRAMES_TX}:60
                          ${SHUNT_DRV_FRAMES_TX}:${SHUNT_DRV_FRAMES_TX}:1000)
  shunt_drv_vm_test(igb.${mode}.rx igb ${mode} drv_rx.sh
                    ENV DRV_FRAMES=${SHUNT_DRV_FRAMES_RX}
                    CHECK rx @OUT@/serial.log ${SHUNT_DRV_FRAMES_RX})
  shunt_drv_vm_test(igb.${mode}.rss igb ${mode} drv_igb_rss.sh
                    BINS $<TARGET_FILE:igb_rss_probe> ENV RSS_FLOWS=16)
  shunt_drv_vm_test(igb.${mode}.rss-irq igb ${mode} drv_igb_rss.sh
                    BINS $<TARGET_FILE:igb_rss_probe> ENV RSS_FLOWS=16 RSS_IRQ=1)
  shunt_drv_vm_test(igb.${mode}.rss-symmetric igb ${mode} drv_igb_rss.sh
                    BINS $<TARGET_FILE:igb_rss_probe> ENV RSS_FLOWS=16 RSS_SYMMETRIC=1)
  shunt_drv_vm_test(igb.${mode}.rx-irq igb ${mode} drv_rx.sh
                    ENV DRV_FRAMES=${SHUNT_DRV_FRAMES_RX} DRV_IRQ=best DRV_IRQ_EXPECT=msix
                    CHECK rx @OUT@/serial.log ${SHUNT_DRV_FRAMES_RX})
endforeach()
if(TARGET shuntd)
  find_program(SHUNT_VM_TOOL_curl NAMES curl PATHS /usr/bin /bin NO_DEFAULT_PATH)
  if(SHUNT_VM_TOOL_curl)
    foreach(mode iommu noiommu)
      shunt_vm_test(shuntd.igb.${mode} igb ${mode} drv_shuntd_tcp.sh TIMEOUT 300
                    $<TARGET_FILE:shuntd> ${SHUNT_VM_TOOL_curl}
                    ENV SHUNT_BIG_KB=2048 SHUNT_UP_KB=1024)
    endforeach()
  else()
    message(WARNING "vm tier: curl not found; vm.shuntd.igb.* not registered")
  endif()
endif()
