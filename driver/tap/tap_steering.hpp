// Queue steering for a multi-queue TAP that behaves like a NIC's RSS (82576 DS §7.1.1.7,
// 82599 DS §7.1.2.8): an IPv4 frame goes to a queue chosen by a hash of its addresses, and of
// its ports when it is an unfragmented TCP or UDP datagram; anything else (ARP above all)
// goes to queue 0. The hash is symmetric (XOR of source and destination), so both directions
// of a flow map alike, and fixed, so a flow never moves (the kernel's own choice, tun's
// automq, is keyed at random and follows the queue a flow was last written on).
//
// It is a small eBPF socket-filter program installed with TUNSETSTEERINGEBPF; the kernel
// takes its return value modulo the queue count.
#pragma once

#include "base/result.hpp"

namespace shunt {

// Installs the steering program on the TAP that `tap_fd` (any of its queues) belongs to.
// Needs CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN.
Status install_rss_like_steering(int tap_fd);

}  // namespace shunt
