// NeighborCache: RFC 826 merge rules, RFC 1122 §2.3.2.1/§2.3.2.2 retry, refresh and queueing
// behaviour, eviction and the open-addressing index. Time is explicit in every test; every
// test ends with the whole pool back (checked in TearDown after the cache is destroyed).
#include "stack/iface/neighbor_cache.hpp"

#include "packet/memory.hpp"
#include "packet/mempool.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <vector>

namespace shunt {
namespace {

using wire::Ipv4Addr;
using namespace std::chrono_literals;

constexpr Instant kT0 = Instant::from_millis(1'000'000);

Ipv4Addr ip(uint8_t last) {
    return Ipv4Addr::from_octets(10, 0, 0, last);
}
MacAddr mac(uint8_t last) {
    return MacAddr{{0x02, 0, 0, 0, 0, last}};
}

class NeighborCacheTest : public ::testing::Test {
  protected:
    static constexpr uint32_t kPoolSize = 256;

    void SetUp() override {
        auto pool = Mempool::create(provider_, kPoolSize, "neigh-test");
        ASSERT_TRUE(pool) << pool.error().message;
        pool_ = std::move(pool).value();
    }
    void TearDown() override {
        cache_.reset();
        EXPECT_EQ(pool_->available(), pool_->capacity()) << "leaked packet buffers";
    }

    NeighborCache& make(NeighborConfig cfg = {}) { return cache_.emplace(cfg, drops_); }

    // A packet whose payload is a 32-bit tag, to check identity and order.
    Packet tagged(uint32_t tag) {
        Packet p(pool_->alloc());
        EXPECT_TRUE(p);
        std::memcpy(p->append(sizeof tag), &tag, sizeof tag);
        return p;
    }
    static uint32_t tag_of(const PacketBuf* b) {
        uint32_t t = 0;
        std::memcpy(&t, b->data(), sizeof t);
        return t;
    }
    static std::vector<uint32_t> tags(const PacketChain& c) {
        std::vector<uint32_t> v;
        for (PacketBuf* b : c) v.push_back(tag_of(b));
        return v;
    }

    // Resolves a fresh tagged packet; returns the result and whether pkt was consumed.
    Resolution send(Ipv4Addr to, uint32_t tag, Instant now, bool* consumed = nullptr) {
        Packet p = tagged(tag);
        Resolution r = cache_->resolve(to, p, now);
        if (consumed != nullptr) *consumed = !p;
        return r;
    }

    std::vector<Ipv4Addr> poll(Instant now, size_t room = 16) {
        std::vector<Ipv4Addr> out(room);
        out.resize(cache_->poll(now, out));
        return out;
    }

    std::optional<NeighborCache::EntryInfo> info(Ipv4Addr a, Instant now) {
        std::optional<NeighborCache::EntryInfo> found;
        cache_->for_each(now, [&](const NeighborCache::EntryInfo& e) {
            if (e.ip == a) found = e;
        });
        return found;
    }

    size_t in_use() const { return pool_->capacity() - pool_->available(); }

    MemfdProvider provider_;
    std::unique_ptr<Mempool> pool_;
    DropCounters drops_;
    std::optional<NeighborCache> cache_;
};

// ---- resolution and queueing (RFC 1122 §2.3.2.2) ----------------------------------------

TEST_F(NeighborCacheTest, MissQueuesAndRequestsOnceThenLearnFlushesInOrder) {
    auto& nc = make();
    bool consumed = false;
    Resolution r = send(ip(1), 1, kT0, &consumed);
    EXPECT_FALSE(r.mac);
    EXPECT_TRUE(r.send_request);  // first miss: ask now
    EXPECT_TRUE(consumed);

    // Within the retransmit interval no further request (RFC 1122 §2.3.2.1 flooding limit).
    for (uint32_t t = 2; t <= 5; ++t) {
        r = send(ip(1), t, kT0 + 100ms * t, &consumed);
        EXPECT_FALSE(r.mac);
        EXPECT_FALSE(r.send_request) << t;
        EXPECT_TRUE(consumed);
    }
    EXPECT_EQ(nc.size(), 1u);
    EXPECT_EQ(info(ip(1), kT0)->pending, 5u);
    EXPECT_EQ(info(ip(1), kT0)->state, NeighborState::incomplete);
    EXPECT_FALSE(nc.lookup(ip(1)));

    PacketChain out = nc.learn(ip(1), mac(1), kT0 + 600ms, /*create=*/false);
    EXPECT_EQ(tags(out), (std::vector<uint32_t>{1, 2, 3, 4, 5}));
    out.clear();
    EXPECT_EQ(nc.lookup(ip(1)), mac(1));
    EXPECT_EQ(info(ip(1), kT0 + 600ms)->pending, 0u);
    EXPECT_EQ(info(ip(1), kT0 + 600ms)->state, NeighborState::reachable);
    EXPECT_FALSE(nc.next_deadline());  // nothing left to retry

    // Resolved: the MAC comes back and the packet stays with the caller.
    Packet p = tagged(99);
    r = nc.resolve(ip(1), p, kT0 + 700ms);
    EXPECT_EQ(r.mac, mac(1));
    EXPECT_FALSE(r.send_request);
    ASSERT_TRUE(p);
    EXPECT_EQ(tag_of(p.get()), 99u);
    EXPECT_EQ(drops_.total(), 0u);
}

TEST_F(NeighborCacheTest, BoundedQueueDropsOldest) {
    NeighborConfig cfg;
    cfg.max_pending_per_entry = 3;
    auto& nc = make(cfg);
    for (uint32_t t = 1; t <= 7; ++t) send(ip(1), t, kT0);
    EXPECT_EQ(drops_[DropReason::neigh_queue_full], 4u);
    EXPECT_EQ(info(ip(1), kT0)->pending, 3u);
    EXPECT_EQ(in_use(), 3u);  // the dropped ones went back to the pool
    PacketChain out = nc.learn(ip(1), mac(1), kT0 + 10ms, false);
    // RFC 1122 §2.3.2.2: the latest packets survive.
    EXPECT_EQ(tags(out), (std::vector<uint32_t>{5, 6, 7}));
}

TEST_F(NeighborCacheTest, ZeroQueueBoundStillKeepsTheLatestPacket) {
    NeighborConfig cfg;
    cfg.max_pending_per_entry = 0;  // RFC 1122 §2.3.2.2 says at least one: raised to 1
    auto& nc = make(cfg);
    send(ip(1), 1, kT0);
    send(ip(1), 2, kT0);
    EXPECT_EQ(drops_[DropReason::neigh_queue_full], 1u);
    EXPECT_EQ(tags(nc.learn(ip(1), mac(1), kT0, false)), std::vector<uint32_t>{2});
}

TEST_F(NeighborCacheTest, QueuesAreSeparatePerNeighbor) {
    auto& nc = make();
    send(ip(1), 10, kT0);
    send(ip(2), 20, kT0);
    send(ip(1), 11, kT0);
    send(ip(2), 21, kT0);
    send(ip(3), 30, kT0);
    EXPECT_EQ(tags(nc.learn(ip(2), mac(2), kT0, false)), (std::vector<uint32_t>{20, 21}));
    EXPECT_EQ(tags(nc.learn(ip(1), mac(1), kT0, false)), (std::vector<uint32_t>{10, 11}));
    EXPECT_EQ(info(ip(3), kT0)->pending, 1u);
    EXPECT_EQ(nc.size(), 3u);
}

TEST_F(NeighborCacheTest, EmptyPacketStartsResolutionWithoutQueueing) {
    auto& nc = make();
    Packet none;
    Resolution r = nc.resolve(ip(1), none, kT0);
    EXPECT_TRUE(r.send_request);
    EXPECT_EQ(info(ip(1), kT0)->pending, 0u);
    EXPECT_TRUE(nc.learn(ip(1), mac(1), kT0, false).empty());
    EXPECT_EQ(nc.lookup(ip(1)), mac(1));
}

// ---- retries and give-up ------------------------------------------------------------------

TEST_F(NeighborCacheTest, RetriesAtIntervalThenGivesUpCountingEveryPacket) {
    auto& nc = make();  // 1 s interval, 3 probes
    EXPECT_FALSE(nc.next_deadline());
    EXPECT_TRUE(send(ip(1), 1, kT0).send_request);  // request 1
    send(ip(1), 2, kT0 + 10ms);
    send(ip(1), 3, kT0 + 20ms);
    EXPECT_EQ(nc.next_deadline(), kT0 + 1s);

    EXPECT_TRUE(poll(kT0 + 999ms).empty());
    EXPECT_EQ(poll(kT0 + 1s), std::vector<Ipv4Addr>{ip(1)});  // request 2
    EXPECT_TRUE(poll(kT0 + 1s).empty());                      // not twice
    EXPECT_EQ(nc.next_deadline(), kT0 + 2s);
    EXPECT_TRUE(poll(kT0 + 1999ms).empty());
    EXPECT_EQ(poll(kT0 + 2s), std::vector<Ipv4Addr>{ip(1)});  // request 3
    EXPECT_EQ(info(ip(1), kT0 + 2s)->probes_sent, 3u);
    EXPECT_EQ(nc.next_deadline(), kT0 + 3s);  // the last request gets its full interval

    EXPECT_TRUE(poll(kT0 + 2999ms).empty());
    EXPECT_EQ(nc.size(), 1u);
    EXPECT_EQ(in_use(), 3u);
    EXPECT_TRUE(poll(kT0 + 3s).empty());  // gave up: no fourth request
    EXPECT_EQ(nc.size(), 0u);
    EXPECT_EQ(drops_[DropReason::neigh_unresolved], 3u);
    EXPECT_EQ(drops_.total(), 3u);
    EXPECT_EQ(in_use(), 0u);
    EXPECT_FALSE(nc.next_deadline());

    // A later packet starts over with a fresh request.
    EXPECT_TRUE(send(ip(1), 4, kT0 + 4s).send_request);
}

TEST_F(NeighborCacheTest, LateResolveSendsTheDueRetryAndPollDoesNotRepeatIt) {
    auto& nc = make();
    EXPECT_TRUE(send(ip(1), 1, kT0).send_request);
    EXPECT_FALSE(send(ip(1), 2, kT0 + 500ms).send_request);
    EXPECT_TRUE(send(ip(1), 3, kT0 + 1200ms).send_request);  // interval passed: retry now
    EXPECT_TRUE(poll(kT0 + 1300ms).empty());
    EXPECT_EQ(nc.next_deadline(), kT0 + 2200ms);
    EXPECT_EQ(poll(kT0 + 2200ms), std::vector<Ipv4Addr>{ip(1)});  // third and last
    // Out of probes: neither resolve nor poll asks again; the give-up comes from poll.
    EXPECT_FALSE(send(ip(1), 4, kT0 + 3300ms).send_request);
    EXPECT_TRUE(poll(kT0 + 3300ms).empty());
    EXPECT_EQ(nc.size(), 0u);
    EXPECT_EQ(drops_[DropReason::neigh_unresolved], 4u);
}

TEST_F(NeighborCacheTest, PollHonoursOutputRoomAndKeepsTheRestDue) {
    auto& nc = make();
    for (uint8_t i = 1; i <= 5; ++i) send(ip(i), i, kT0 + std::chrono::milliseconds(i));
    // Deadlines come back in the order the requests went out.
    EXPECT_EQ(poll(kT0 + 2s, 2), (std::vector<Ipv4Addr>{ip(1), ip(2)}));
    EXPECT_LE(*nc.next_deadline(), kT0 + 2s);  // work left: deadline in the past
    EXPECT_EQ(poll(kT0 + 2s, 2), (std::vector<Ipv4Addr>{ip(3), ip(4)}));
    EXPECT_EQ(poll(kT0 + 2s, 2), (std::vector<Ipv4Addr>{ip(5)}));
    EXPECT_EQ(nc.next_deadline(), kT0 + 3s);
    EXPECT_TRUE(poll(kT0 + 2s, 0).empty());
}

TEST_F(NeighborCacheTest, ResolvedNeighborStopsRetries) {
    auto& nc = make();
    send(ip(1), 1, kT0);
    send(ip(2), 2, kT0 + 100ms);
    EXPECT_EQ(nc.learn(ip(1), mac(1), kT0 + 500ms, false).count(), 1u);
    EXPECT_EQ(nc.next_deadline(), kT0 + 1100ms);  // only ip(2) is still waiting
    EXPECT_EQ(poll(kT0 + 10s), std::vector<Ipv4Addr>{ip(2)});
    EXPECT_EQ(nc.lookup(ip(1)), mac(1));
}

// ---- stale entries and refresh (RFC 1122 §2.3.2.1) ----------------------------------------

TEST_F(NeighborCacheTest, StaleEntryIsUsedAndRefreshedAtMostOncePerInterval) {
    auto& nc = make();  // reachable 60 s
    EXPECT_TRUE(nc.learn(ip(1), mac(1), kT0, /*create=*/true).empty());
    EXPECT_EQ(info(ip(1), kT0 + 59s)->state, NeighborState::reachable);
    EXPECT_EQ(info(ip(1), kT0 + 60s)->state, NeighborState::stale);
    EXPECT_FALSE(nc.next_deadline());  // idle entries do not wake anyone

    Resolution r = send(ip(1), 1, kT0 + 59s);
    EXPECT_EQ(r.mac, mac(1));
    EXPECT_FALSE(r.send_request);

    bool consumed = true;
    r = send(ip(1), 2, kT0 + 60s, &consumed);
    EXPECT_EQ(r.mac, mac(1));  // stale is still used
    EXPECT_TRUE(r.send_request);
    EXPECT_FALSE(consumed);
    EXPECT_EQ(info(ip(1), kT0 + 60s)->state, NeighborState::probe);

    r = send(ip(1), 3, kT0 + 60s + 500ms);
    EXPECT_EQ(r.mac, mac(1));
    EXPECT_FALSE(r.send_request);
    EXPECT_EQ(nc.next_deadline(), kT0 + 61s);

    EXPECT_EQ(poll(kT0 + 61s), std::vector<Ipv4Addr>{ip(1)});  // probe 2
    r = send(ip(1), 4, kT0 + 61s + 1ms);
    EXPECT_FALSE(r.send_request);
    EXPECT_EQ(r.mac, mac(1));

    // Answered: reachable again, with a fresh reachable time and nothing to flush.
    EXPECT_TRUE(nc.learn(ip(1), mac(1), kT0 + 61s + 100ms, false).empty());
    EXPECT_EQ(info(ip(1), kT0 + 61s + 100ms)->state, NeighborState::reachable);
    EXPECT_FALSE(nc.next_deadline());
    EXPECT_FALSE(send(ip(1), 5, kT0 + 121s).send_request);
    EXPECT_TRUE(send(ip(1), 6, kT0 + 121s + 100ms).send_request);
    EXPECT_EQ(drops_.total(), 0u);
}

TEST_F(NeighborCacheTest, UnansweredProbesRemoveTheStaleEntry) {
    auto& nc = make();
    nc.learn(ip(1), mac(1), kT0, true);
    EXPECT_TRUE(send(ip(1), 1, kT0 + 70s).send_request);  // probe 1
    EXPECT_EQ(poll(kT0 + 71s), std::vector<Ipv4Addr>{ip(1)});
    EXPECT_EQ(nc.lookup(ip(1)), mac(1));  // usable while probing
    EXPECT_EQ(poll(kT0 + 72s), std::vector<Ipv4Addr>{ip(1)});
    EXPECT_EQ(info(ip(1), kT0 + 72s)->probes_sent, 3u);
    EXPECT_TRUE(poll(kT0 + 72s + 999ms).empty());
    EXPECT_EQ(nc.size(), 1u);
    EXPECT_TRUE(poll(kT0 + 73s).empty());
    EXPECT_EQ(nc.size(), 0u);
    EXPECT_FALSE(nc.lookup(ip(1)));
    EXPECT_EQ(drops_.total(), 0u);  // no packet was waiting

    // The next packet has to resolve from scratch.
    bool consumed = false;
    Resolution r = send(ip(1), 2, kT0 + 74s, &consumed);
    EXPECT_FALSE(r.mac);
    EXPECT_TRUE(r.send_request);
    EXPECT_TRUE(consumed);
}

TEST_F(NeighborCacheTest, LookupHasNoSideEffects) {
    auto& nc = make();
    nc.learn(ip(1), mac(1), kT0, true);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(nc.lookup(ip(1)), mac(1));
    EXPECT_FALSE(nc.lookup(ip(2)));
    EXPECT_FALSE(nc.next_deadline());  // lookup never starts a probe
    EXPECT_EQ(nc.size(), 1u);
}

// ---- RFC 826 merge ------------------------------------------------------------------------

TEST_F(NeighborCacheTest, Rfc826MergeUpdatesButOnlyTargetCreates) {
    auto& nc = make();
    // Overheard (we are not the target): no new entry.
    EXPECT_TRUE(nc.learn(ip(1), mac(1), kT0, /*create=*/false).empty());
    EXPECT_EQ(nc.size(), 0u);
    EXPECT_FALSE(nc.lookup(ip(1)));
    // Aimed at us: created.
    nc.learn(ip(1), mac(1), kT0, /*create=*/true);
    EXPECT_EQ(nc.lookup(ip(1)), mac(1));
    // Overheard again with a new MAC (e.g. failover): the existing entry is updated.
    nc.learn(ip(1), mac(0x11), kT0 + 70s, /*create=*/false);
    EXPECT_EQ(nc.lookup(ip(1)), mac(0x11));
    EXPECT_EQ(info(ip(1), kT0 + 70s)->state, NeighborState::reachable);  // timer restarted
    EXPECT_EQ(nc.size(), 1u);
}

TEST_F(NeighborCacheTest, OverheardAnswerResolvesIncompleteEntry) {
    auto& nc = make();
    send(ip(1), 1, kT0);
    send(ip(1), 2, kT0);
    EXPECT_EQ(tags(nc.learn(ip(1), mac(1), kT0 + 1ms, /*create=*/false)),
              (std::vector<uint32_t>{1, 2}));
}

TEST_F(NeighborCacheTest, RemoveDropsQueuedPackets) {
    auto& nc = make();
    send(ip(1), 1, kT0);
    send(ip(1), 2, kT0);
    nc.learn(ip(2), mac(2), kT0, true);
    EXPECT_TRUE(nc.remove(ip(1)));
    EXPECT_FALSE(nc.remove(ip(1)));
    EXPECT_TRUE(nc.remove(ip(2)));
    EXPECT_EQ(drops_[DropReason::neigh_unresolved], 2u);
    EXPECT_EQ(nc.size(), 0u);
    EXPECT_FALSE(nc.next_deadline());
    EXPECT_EQ(in_use(), 0u);
}

// ---- eviction and a full table ------------------------------------------------------------

TEST_F(NeighborCacheTest, EvictsLeastRecentlyUsed) {
    NeighborConfig cfg;
    cfg.max_entries = 3;
    auto& nc = make(cfg);
    nc.learn(ip(1), mac(1), kT0, true);
    nc.learn(ip(2), mac(2), kT0 + 1s, true);
    nc.learn(ip(3), mac(3), kT0 + 2s, true);
    // Using ip(1) makes ip(2) the least recently used.
    EXPECT_EQ(send(ip(1), 1, kT0 + 3s).mac, mac(1));
    nc.learn(ip(4), mac(4), kT0 + 4s, true);
    EXPECT_EQ(nc.size(), 3u);
    EXPECT_FALSE(nc.lookup(ip(2)));
    EXPECT_TRUE(nc.lookup(ip(1)));
    EXPECT_TRUE(nc.lookup(ip(3)));
    EXPECT_TRUE(nc.lookup(ip(4)));

    // A miss evicts too (ip(3) is now the least recently used).
    bool consumed = false;
    Resolution r = send(ip(5), 5, kT0 + 5s, &consumed);
    EXPECT_TRUE(r.send_request);
    EXPECT_TRUE(consumed);
    EXPECT_FALSE(nc.lookup(ip(3)));
    EXPECT_EQ(drops_.total(), 0u);

    std::vector<Ipv4Addr> order;
    nc.for_each(kT0 + 5s, [&](const NeighborCache::EntryInfo& e) { order.push_back(e.ip); });
    EXPECT_EQ(order, (std::vector<Ipv4Addr>{ip(1), ip(4), ip(5)}));  // LRU first
}

TEST_F(NeighborCacheTest, EvictionPrefersStaleOverOlderReachable) {
    NeighborConfig cfg;
    cfg.max_entries = 3;
    auto& nc = make(cfg);
    nc.learn(ip(2), mac(2), kT0, true);  // confirmed first: stale from kT0 + 60 s
    nc.learn(ip(1), mac(1), kT0 + 50s, true);
    nc.learn(ip(3), mac(3), kT0 + 51s, true);
    EXPECT_FALSE(send(ip(2), 2, kT0 + 59s).send_request);  // used while still reachable
    // LRU order is now 1, 3, 2: ip(1) is least recently used but still reachable, ip(2) is
    // the most recently used but stale, so ip(2) goes.
    EXPECT_EQ(info(ip(2), kT0 + 70s)->state, NeighborState::stale);
    nc.learn(ip(4), mac(4), kT0 + 70s, true);
    EXPECT_FALSE(nc.lookup(ip(2)));
    EXPECT_TRUE(nc.lookup(ip(1)));
    EXPECT_TRUE(nc.lookup(ip(3)));
    EXPECT_TRUE(nc.lookup(ip(4)));
    EXPECT_FALSE(nc.next_deadline());
}

TEST_F(NeighborCacheTest, EntriesWithQueuedPacketsAreNotEvicted) {
    NeighborConfig cfg;
    cfg.max_entries = 2;
    auto& nc = make(cfg);
    nc.learn(ip(1), mac(1), kT0, true);                  // evictable, least recently used
    send(ip(2), 2, kT0 + 1s);                            // incomplete with a packet
    EXPECT_TRUE(send(ip(3), 3, kT0 + 2s).send_request);  // evicts ip(1)
    EXPECT_FALSE(nc.lookup(ip(1)));
    EXPECT_EQ(nc.size(), 2u);
    EXPECT_EQ(drops_.total(), 0u);

    // Now both entries hold packets: the table is full.
    bool consumed = false;
    Resolution r = send(ip(4), 4, kT0 + 3s, &consumed);
    EXPECT_FALSE(r.mac);
    EXPECT_FALSE(r.send_request);
    EXPECT_TRUE(consumed);
    EXPECT_EQ(drops_[DropReason::neigh_table_full], 1u);
    EXPECT_EQ(in_use(), 2u);  // the dropped packet is back in the pool
    EXPECT_EQ(nc.size(), 2u);

    // learn(create) cannot make room either: nothing is cached, nothing lost.
    EXPECT_TRUE(nc.learn(ip(5), mac(5), kT0 + 3s, true).empty());
    EXPECT_FALSE(nc.lookup(ip(5)));
    EXPECT_EQ(info(ip(2), kT0 + 3s)->pending, 1u);
    EXPECT_EQ(info(ip(3), kT0 + 3s)->pending, 1u);

    // Once they give up, the slots are free again.
    poll(kT0 + 10s);
    poll(kT0 + 20s);
    poll(kT0 + 30s);
    EXPECT_EQ(nc.size(), 0u);
    EXPECT_EQ(drops_[DropReason::neigh_unresolved], 2u);
    EXPECT_TRUE(send(ip(4), 4, kT0 + 31s).send_request);
}

// ---- index ------------------------------------------------------------------------------

// Random learn/resolve/give-up/remove churn on a small table (so probe runs collide and the
// backward-shift deletion moves entries), checked against a std::map model.
TEST_F(NeighborCacheTest, IndexMatchesModelUnderChurn) {
    NeighborConfig cfg;
    cfg.max_entries = 64;  // never full below: 40 learned + up to 24 unresolved addresses
    cfg.max_probes = 1;
    auto& nc = make(cfg);
    std::mt19937 gen(12345);
    auto rng = [&] { return static_cast<uint32_t>(gen()); };
    std::map<uint32_t, MacAddr> model;  // learned entries
    std::map<uint32_t, int> unresolved;
    Instant now = kT0;
    for (int step = 0; step < 20'000; ++step) {
        now += 1ms;
        const uint32_t op = rng() % 10;
        // Learned addresses come from a spread-out range, unresolved ones from another.
        const Ipv4Addr learned_ip{0x0a000000u + (rng() % 40) * 977};
        const Ipv4Addr pending_ip{0xc0a80000u + rng() % 24};
        if (op < 4) {
            const MacAddr m = mac(static_cast<uint8_t>(rng()));
            nc.learn(learned_ip, m, now, true);
            model[learned_ip.value] = m;
        } else if (op < 6) {
            if (model.count(learned_ip.value) != 0) {
                EXPECT_TRUE(nc.remove(learned_ip));
                model.erase(learned_ip.value);
            }
        } else if (op < 8) {
            Packet p;  // resolution without a packet: no pool pressure
            nc.resolve(pending_ip, p, now);
            unresolved[pending_ip.value]++;
        } else {
            std::array<Ipv4Addr, 64> reqs{};
            nc.poll(now, reqs);  // gives up incomplete entries after one interval
        }
        if (step % 97 == 0) {
            for (uint32_t i = 0; i < 40; ++i) {
                const Ipv4Addr a{0x0a000000u + i * 977};
                auto it = model.find(a.value);
                if (it == model.end()) {
                    EXPECT_FALSE(nc.lookup(a)) << a.to_string();
                } else {
                    EXPECT_EQ(nc.lookup(a), it->second) << a.to_string();
                }
            }
            size_t incomplete = 0;
            nc.for_each(now, [&](const NeighborCache::EntryInfo& e) {
                if (e.state == NeighborState::incomplete) ++incomplete;
            });
            ASSERT_EQ(nc.size(), model.size() + incomplete);
        }
    }
    EXPECT_FALSE(unresolved.empty());
    EXPECT_EQ(drops_.total(), 0u);
}

TEST_F(NeighborCacheTest, FillsToCapacityWithO1Lookups) {
    auto& nc = make();  // 512 entries
    for (uint32_t i = 0; i < 512; ++i) {
        nc.learn(Ipv4Addr{0x0a000000u + i}, mac(static_cast<uint8_t>(i)), kT0, true);
    }
    EXPECT_EQ(nc.size(), 512u);
    for (uint32_t i = 0; i < 512; ++i) {
        EXPECT_EQ(nc.lookup(Ipv4Addr{0x0a000000u + i}), mac(static_cast<uint8_t>(i)));
    }
    // One more evicts exactly the least recently used (the first learned).
    nc.learn(Ipv4Addr{0x0b000000u}, mac(1), kT0 + 1s, true);
    EXPECT_EQ(nc.size(), 512u);
    EXPECT_FALSE(nc.lookup(Ipv4Addr{0x0a000000u}));
    EXPECT_TRUE(nc.lookup(Ipv4Addr{0x0a000001u}));
}

}  // namespace
}  // namespace shunt
