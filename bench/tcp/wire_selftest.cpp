#include "bench/tcp/wire_selftest.hpp"

#include "bench/tcp/child_process.hpp"
#include "bench/tcp/mem_wire.hpp"

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace shunt::bench {

namespace {
using Clock = std::chrono::steady_clock;

#define CHECK(cond)                                                                             \
    do {                                                                                        \
        if (!(cond)) return make_error("wire self-test: {} failed (line {})", #cond, __LINE__); \
    } while (0)

PacketBuf* frame(MemWireNic& nic, uint32_t seq, size_t len) {
    PacketBuf* b = nic.tx_pool(0).alloc();
    if (b == nullptr) return nullptr;
    uint8_t* p = b->append(len);
    for (size_t i = 0; i < len; ++i) p[i] = static_cast<uint8_t>(seq + i);
    std::memcpy(p, &seq, sizeof seq);
    return b;
}

bool intact(const PacketBuf* b, uint32_t seq, size_t len) {
    if (b->length() != len) return false;
    uint32_t got = 0;
    std::memcpy(&got, b->data(), sizeof got);
    if (got != seq) return false;
    for (size_t i = sizeof seq; i < len; ++i) {
        if (b->data()[i] != static_cast<uint8_t>(seq + i)) return false;
    }
    return true;
}

Status one_frame() {
    auto wire = MemWire::create({});
    if (!wire) return wire.error();
    MemWireNic& a = (*wire)->endpoint(0);
    MemWireNic& b = (*wire)->endpoint(1);
    const uint32_t full = a.tx_pool(0).available();
    PacketBuf* f = frame(a, 7, 60);
    CHECK(f != nullptr);
    f->set_flags(tx_flags::l4_csum);
    CHECK(a.tx_batch(0, {&f, 1}) == 1);
    PacketBuf* r = nullptr;
    CHECK(b.rx_batch(0, {&r, 1}) == 1);
    CHECK(intact(r, 7, 60));
    CHECK(r->pool() == &b.tx_pool(0));  // the receiver's own buffer, not the sender's
    CHECK(r->flags() == rx_flags::l4_csum_good);
    r->unref();
    CHECK(b.rx_batch(0, {&r, 1}) == 0);
    a.reclaim();
    CHECK(a.tx_pool(0).available() == full);
    CHECK(a.in_flight() == 0);
    CHECK(b.counters().rx_copy_bytes == 60);
    return {};
}

Status borrowed_frame() {
    auto wire = MemWire::create({});
    if (!wire) return wire.error();
    MemWireNic& a = (*wire)->endpoint(0);
    MemWireNic& b = (*wire)->endpoint(1);
    PacketBuf* f = frame(a, 9, 100);
    CHECK(a.tx_batch(0, {&f, 1}) == 1);
    PacketBuf* r = nullptr;
    CHECK(b.rx_borrow({&r, 1}) == 1);
    CHECK(r == f);  // the sender's own buffer, no copy
    CHECK(intact(r, 9, 100));
    b.give_back(r);
    a.reclaim();
    CHECK(a.in_flight() == 0);
    CHECK(a.tx_pool(0).available() == a.tx_pool(0).capacity());
    return {};
}

Status limits() {
    auto wire = MemWire::create({});
    if (!wire) return wire.error();
    MemWireNic& a = (*wire)->endpoint(0);
    std::vector<PacketBuf*> many(kWireRingSize + 10);
    for (uint32_t i = 0; i < many.size(); ++i) many[i] = frame(a, i, 64);
    const size_t taken = a.tx_batch(0, many);
    CHECK(taken == kWireRingSize);        // the ring holds this many
    CHECK(many[taken]->refcount() == 1);  // the rest stay with us
    Mempool::unref_batch(std::span(many).subspan(taken));
    PacketBuf* big = frame(a, 1, 1500 + 18 + 1);
    CHECK(a.tx_batch(0, {&big, 1}) == 1);  // taken and dropped: no link carries it
    CHECK(a.counters().tx_errors == 1);
    return {};
}

// Sends `count` numbered frames from `tx` while `rx` checks order and contents; each side
// runs in its own thread or process. Returns the receiver's verdict.
Status receive_all(MemWireNic& rx, uint32_t count) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    std::array<PacketBuf*, 32> got{};
    for (uint32_t next = 0; next < count;) {
        if (Clock::now() > deadline) return make_error("wire self-test: receiver timed out");
        const size_t n = rx.rx_batch(0, got);
        for (size_t i = 0; i < n; ++i) {
            const bool ok = intact(got[i], next, 64 + next % 1400);
            got[i]->unref();
            if (!ok) return make_error("wire self-test: frame {} damaged or out of order", next);
            ++next;
        }
    }
    return {};
}

bool send_all(MemWireNic& tx, uint32_t count) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    for (uint32_t seq = 0; seq < count;) {
        if (Clock::now() > deadline) return false;
        PacketBuf* f = frame(tx, seq, 64 + seq % 1400);
        if (f == nullptr) {  // all our buffers are on the wire: wait for them to come home
            tx.reclaim();
            continue;
        }
        while (tx.tx_batch(0, {&f, 1}) == 0) {
            if (Clock::now() > deadline) return false;
        }
        ++seq;
    }
    while (tx.in_flight() > 0 && Clock::now() < deadline) tx.reclaim();
    return tx.in_flight() == 0;
}

Status two_threads() {
    constexpr uint32_t kFrames = 200000;
    auto wire = MemWire::create({});
    if (!wire) return wire.error();
    bool sent = false;
    {
        std::jthread sender([&] { sent = send_all((*wire)->endpoint(0), kFrames); });
        if (auto s = receive_all((*wire)->endpoint(1), kFrames); !s) return s;
    }
    CHECK(sent);
    CHECK((*wire)->endpoint(0).tx_pool(0).available() ==
          (*wire)->endpoint(0).tx_pool(0).capacity());
    return {};
}

Status two_processes() {
    constexpr uint32_t kFrames = 100000;
    auto wire = MemWire::create({});
    if (!wire) return wire.error();
    auto child =
        ChildProcess::spawn([&] { return send_all((*wire)->endpoint(0), kFrames) ? 0 : 1; });
    if (!child) return child.error();
    if (auto s = receive_all((*wire)->endpoint(1), kFrames); !s) return s;
    auto code = child->wait_for(std::chrono::seconds(10));
    if (!code) return code.error();
    CHECK(*code == 0);
    return {};
}

}  // namespace

Status run_wire_selftest() {
    for (auto* test : {one_frame, borrowed_frame, limits, two_threads, two_processes}) {
        if (auto s = test(); !s) return s;
    }
    return {};
}

}  // namespace shunt::bench
