// TCP's counters as JSON (nlohmann, insertion-ordered); the names are the stats file's.
#pragma once

#include "stack/tcp/tcp_stack.hpp"
#include "stack/tcp/tcp_types.hpp"

#include <nlohmann/json.hpp>

namespace shunt::tcp {

inline nlohmann::ordered_json to_json(const TcpCounters& t) {
    return {{"segments_rx", t.segments_rx},
            {"segments_tx", t.segments_tx},
            {"active_opens", t.active_opens},
            {"passive_opens", t.passive_opens},
            {"established", t.established},
            {"resets_rx", t.resets_rx},
            {"resets_tx", t.resets_tx},
            {"challenge_acks", t.challenge_acks},
            {"retransmits", t.retransmits},
            {"fast_retransmits", t.fast_retransmits},
            {"rto_expirations", t.rto_expirations},
            {"retransmit_copies", t.retransmit_copies},
            {"tx_copy_bytes", t.tx_copy_bytes},
            {"rx_copy_bytes", t.rx_copy_bytes},
            {"ooo_segments", t.ooo_segments},
            {"dup_segments", t.dup_segments},
            {"syn_cookies_sent", t.syn_cookies_sent},
            {"syn_cookies_accepted", t.syn_cookies_accepted},
            {"time_wait_evictions", t.time_wait_evictions},
            {"timeouts", t.timeouts},
            {"window_probes", t.window_probes},
            {"keepalive_probes", t.keepalive_probes},
            {"rx_coalesced", t.rx_coalesced},
            {"ooo_pruned", t.ooo_pruned},
            {"zero_window_aborts", t.zero_window_aborts}};
}

// TCP's drop reasons under their stats-file names ("tcp_..."), for the "drops" object.
inline nlohmann::ordered_json to_json(const DropCounters& d) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (size_t i = 0; i < kDropReasonCount; ++i) {
        j[std::string(kDropReasonNames[i])] = d.by_reason[i];
    }
    return j;
}

// Connections per state under RFC 9293's names ("ESTABLISHED", "TIME-WAIT", ...), CLOSED left
// out: the "states" object of the stats.
inline nlohmann::ordered_json to_json(const TcpStateCounts& c) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (size_t i = 0; i < kTcpStateCount; ++i) {
        const auto st = static_cast<TcpState>(i);
        if (st != TcpState::closed) j[std::string(to_string(st))] = c[st];
    }
    return j;
}

// The stack's gauges first (connections per state under "states"), then its counters.
inline nlohmann::ordered_json to_json(const TcpStack& s) {
    nlohmann::ordered_json j = {{"connections", s.connection_count()},
                                {"time_wait", s.time_wait_count()},
                                {"send_buffers", s.send_buffers_held()},
                                {"ooo_buffers", s.ooo_buffers_held()},
                                {"states", to_json(s.state_counts())}};
    j.update(to_json(s.counters()));
    return j;
}

}  // namespace shunt::tcp
