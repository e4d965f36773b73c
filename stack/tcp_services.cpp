#include "stack/tcp_services.hpp"

#include "stack/tcp/tcp_json.hpp"

#include <algorithm>

namespace shunt {

namespace {
// How much received data one step offers before moving on (fairness between connections).
constexpr size_t kRecvChunk = 64 * 1024;
}  // namespace

Result<std::unique_ptr<TcpServices>> TcpServices::start(Stack& stack,
                                                        const app::ServicePorts& ports,
                                                        const app::HttpServerConfig& http,
                                                        size_t max_connections,
                                                        const app::ServiceTimeouts& timeouts) {
    std::unique_ptr<TcpServices> s(new TcpServices(stack, ports, http, max_connections, timeouts));
    for (auto port : {ports.echo, ports.discard, ports.http}) {
        if (!port) continue;
        if (std::find_if(s->listeners_.begin(), s->listeners_.end(),
                         [&](auto* l) { return l->port() == *port; }) != s->listeners_.end()) {
            continue;  // --http on 7 or 9: one listener, the HTTP service wins
        }
        tcp::TcpListener* l = stack.tcp().listen(*port, 512);
        if (l == nullptr) return make_error("TCP port {} is already in use", *port);
        s->listeners_.push_back(l);
    }
    stack.add_app(*s);
    return s;
}

TcpServices::TcpServices(Stack& stack, const app::ServicePorts& ports,
                         const app::HttpServerConfig& http, size_t max_connections,
                         const app::ServiceTimeouts& timeouts)
    : shard_(stack),
      stack_(stack.tcp()),
      pool_(stack.tx_pool()),
      ports_(ports),
      http_(http),
      max_connections_(max_connections),
      timeouts_(timeouts) {}

TcpServices::~TcpServices() {
    shard_.remove_app(*this);
    for (auto& c : conns_) c->socket->abort();
    for (auto* l : listeners_) stack_.close_listener(l);
}

size_t TcpServices::accept_new() noexcept {
    size_t n = 0;
    for (auto* l : listeners_) {
        while (tcp::TcpSocket* s = l->accept()) {
            ++n;
            auto kind = app::service_for_port(ports_, l->port());
            if (!kind || conns_.size() >= max_connections_) {
                ++counters_.refused;
                s->abort();
                continue;
            }
            ++counters_.accepted;
            conns_.push_back(std::unique_ptr<Connection>(new Connection{
                s, app::ServiceSession(*kind, http_, timeouts_.stream_idle), {}, 0, false, {}}));
        }
    }
    return n;
}

// Offers received bytes to the session where they lie in the NIC buffers; what it does not
// take yet (an HTTP response is still going out) stays queued for the next step.
size_t TcpServices::pump_input(Connection& c) noexcept {
    size_t taken = 0;
    if (c.unread.empty()) {
        c.unread = c.socket->recv(kRecvChunk);
        c.unread_offset = 0;
    }
    while (!c.unread.empty()) {
        PacketBuf* b = c.unread.front();
        const auto bytes = b->bytes().subspan(c.unread_offset);
        const size_t n = c.session.on_receive(bytes);
        taken += n;
        c.unread_offset += static_cast<uint32_t>(n);
        if (c.unread_offset < b->length()) break;  // the session is full for now
        c.unread.pop_front();
        c.unread_offset = 0;
        if (c.unread.empty()) {
            c.unread = c.socket->recv(kRecvChunk);  // more may have arrived in order
        }
    }
    counters_.bytes_in += taken;
    if (c.unread.empty() && !c.peer_close_told && c.socket->readable_bytes() == 0 &&
        (c.socket->events() & tcp::tcp_event::peer_closed) != 0) {
        c.peer_close_told = true;
        c.session.on_peer_closed();
    }
    return taken;
}

// The session writes into pool buffers (one MSS each, after the headroom the headers need);
// each goes to the socket's zero-copy send. Output is produced only when the socket can take
// a whole buffer, so no produced byte ever waits outside the socket.
size_t TcpServices::pump_output(Connection& c) noexcept {
    size_t produced = 0;
    const size_t mss = std::max<size_t>(c.socket->smss(), 1);
    while (c.session.has_output() && c.socket->send_space() >= mss) {
        PacketBuf* b = pool_.alloc();
        if (b == nullptr) {
            ++counters_.no_buffer;
            break;
        }
        Packet p(b);
        const size_t room = std::min(mss, p->tailroom());
        uint8_t* out = p->append(room);
        const size_t n = c.session.produce({out, room});
        p->trim_back(room - n);
        if (n == 0) break;
        if (c.socket->send(std::move(p)) != tcp::TcpSendStatus::queued) {
            // The session has handed these bytes over already, so a stream without them must
            // not go on: reset it. The send_space() check above keeps this from happening (one
            // thread, and a buffer of at most one MSS), but a reset beats a silent gap.
            ++counters_.send_refused;
            c.socket->abort();
            break;
        }
        produced += n;
    }
    counters_.bytes_out += produced;
    return produced;
}

bool TcpServices::step(Connection& c, Instant now, size_t& work) noexcept {
    const uint32_t ev = c.socket->events();
    if ((ev & (tcp::tcp_event::closed | tcp::tcp_event::error)) != 0) {
        c.socket->close();  // releases the handle; the stack frees the socket
        return false;
    }
    if (c.abort_at) return linger(c, now);
    // Idle means the peer has gone quiet, not that our output is still on its way (a lossy
    // path can hold a send queue for a long time; TCP's retransmission limit judges that).
    c.session.tick(now, c.socket->send_queued() > 0);
    if (const app::SessionTimeout t = c.session.timeout(); t != app::SessionTimeout::none) {
        // Issue 11: FIN first (a well-behaved peer closes too and TIME-WAIT stays with it),
        // RST if the connection has not gone close_grace later.
        ++(t == app::SessionTimeout::header ? counters_.header_timeouts : counters_.idle_timeouts);
        c.unread = PacketChain{};
        c.socket->shutdown_write();
        c.abort_at = now + timeouts_.close_grace;
        ++work;
        return linger(c, now);
    }
    work += pump_input(c);
    work += pump_output(c);
    if (c.session.should_close()) {
        // FIN after the queued output; unread input (a peer still sending) makes it an abort,
        // which is what a server that stops reading must do (RFC 9293 §3.10.4).
        c.socket->close();
        return false;
    }
    return true;
}

bool TcpServices::linger(Connection& c, Instant now) noexcept {
    // What the peer still sends is read and dropped, so that its window stays open and the
    // FIN exchange can finish.
    while (!c.socket->recv(kRecvChunk).empty()) {
    }
    if (now < *c.abort_at) return true;
    ++counters_.timeout_aborts;
    c.socket->abort();
    c.socket->close();
    return false;
}

size_t TcpServices::serve(Instant now) noexcept {
    size_t work = accept_new();
    for (size_t i = 0; i < conns_.size();) {
        if (step(*conns_[i], now, work)) {
            ++i;
            continue;
        }
        ++counters_.closed;
        ++work;
        conns_[i] = std::move(conns_.back());
        conns_.pop_back();
    }
    return work;
}

nlohmann::ordered_json TcpServices::stats() const {
    const TcpServiceCounters& c = counters_;
    nlohmann::ordered_json j = tcp::to_json(stack_);
    j["services"] = {{"open", conns_.size()},
                     {"accepted", c.accepted},
                     {"refused", c.refused},
                     {"closed", c.closed},
                     {"bytes_in", c.bytes_in},
                     {"bytes_out", c.bytes_out},
                     {"no_buffer", c.no_buffer},
                     {"send_refused", c.send_refused},
                     {"header_timeouts", c.header_timeouts},
                     {"idle_timeouts", c.idle_timeouts},
                     {"timeout_aborts", c.timeout_aborts}};
    return j;
}

}  // namespace shunt
