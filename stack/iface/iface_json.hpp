// The interface layer's counters as JSON (nlohmann, insertion-ordered so the stats file
// reads in the order the structs declare). Names are the stable ones of the stats file.
#pragma once

#include "stack/iface/drop_reason.hpp"
#include "stack/iface/interface.hpp"

#include <nlohmann/json.hpp>

namespace shunt {

inline nlohmann::ordered_json to_json(const DropCounters& d) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (size_t i = 0; i < kDropReasonCount; ++i)
        j[std::string(kDropReasonNames[i])] = d.by_reason[i];
    return j;
}

inline nlohmann::ordered_json to_json(const StackCounters& s) {
    return {{"ipv4_rx", s.ipv4_rx},
            {"ipv4_tx", s.ipv4_tx},
            {"arp_rx", s.arp_rx},
            {"arp_tx", s.arp_tx},
            {"icmp_echo_replies", s.icmp_echo_replies},
            {"icmp_errors_tx", s.icmp_errors_tx},
            {"udp_rx", s.udp_rx},
            {"udp_tx", s.udp_tx},
            {"frag_reassembled", s.frag_reassembled},
            {"frag_tx", s.frag_tx},
            {"tx_copy_bytes", s.tx_copy_bytes}};
}

// The pool's budget: gauges (buffers now) and episode counters.
inline nlohmann::ordered_json to_json(const Interface& iface, const BufferBudget& b) {
    return {{"capacity", b.capacity()},
            {"free", b.free()},
            {"reserve", b.reserve()},
            {"pressure_level", b.pressure_level()},
            {"reassembly_buffers", iface.reassembler().buffers_held()},
            {"neighbor_buffers", iface.neighbors().pending_total()},
            {"exhaustion_episodes", b.counters().exhaustion_episodes},
            {"pressure_episodes", b.counters().pressure_episodes}};
}

// The "stack" section: the interface's counters, its neighbor count and the pool's budget.
inline nlohmann::ordered_json to_json(const Interface& iface) {
    nlohmann::ordered_json j = to_json(iface.counters());
    j["neighbors"] = iface.neighbors().size();
    j["budget"] = to_json(iface, iface.buffer_budget());
    return j;
}

}  // namespace shunt
