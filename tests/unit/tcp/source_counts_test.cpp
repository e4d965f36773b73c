// The per-source counts beside the connection table (TcpConfig::max_per_source): a random
// churn of inserts and erases checked against a std::map, with addresses chosen to collide
// (random addresses, a table near its load bound), so backward-shift deletion is exercised.
#include "stack/tcp/conn_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace shunt::tcp {
namespace {

TcpSocket* fake(uintptr_t n) {
    return reinterpret_cast<TcpSocket*>(n * 64);  // never dereferenced
}

TEST(SourceCounts, ChurnMatchesAMap) {
    constexpr size_t kCapacity = 64;
    ConnTable table(kCapacity);
    std::map<uint32_t, uint32_t> want;
    std::vector<FourTuple> live;
    std::mt19937 rng(7);
    const auto local = wire::Ipv4Addr::from_octets(10, 0, 0, 2);
    std::vector<wire::Ipv4Addr> remotes;
    for (int i = 0; i < 48; ++i) remotes.push_back(wire::Ipv4Addr{static_cast<uint32_t>(rng())});
    for (int step = 0; step < 20000; ++step) {
        const bool add = live.empty() || (live.size() < kCapacity && rng() % 3 != 0);
        if (add) {
            // 48 remotes for 64 entries: several connections per source, and a table of
            // sources near its load bound (random addresses, so home slots collide).
            const wire::Ipv4Addr remote = remotes[rng() % remotes.size()];
            const FourTuple key{local, 80, remote, static_cast<uint16_t>(1024 + rng() % 60000)};
            if (table.find(key) != nullptr) continue;
            ASSERT_TRUE(table.insert(key, fake(live.size() + 1)));
            live.push_back(key);
            want[remote.value]++;
        } else {
            const size_t i = rng() % live.size();
            const FourTuple key = live[i];
            table.erase(key, table.find(key));
            live[i] = live.back();
            live.pop_back();
            if (--want[key.remote_addr.value] == 0) want.erase(key.remote_addr.value);
        }
        if (step % 97 == 0) {
            for (const wire::Ipv4Addr r : remotes) {
                const auto it = want.find(r.value);
                ASSERT_EQ(table.count_from(r), it == want.end() ? 0u : it->second)
                    << "step " << step;
            }
        }
    }
}

TEST(SourceCounts, EraseOfAMissingOrForeignEntryChangesNothing) {
    ConnTable table(8);
    TcpSocket* a = fake(1);
    TcpSocket* b = fake(2);
    const auto remote = wire::Ipv4Addr::from_octets(192, 0, 2, 1);
    const FourTuple key{wire::Ipv4Addr::from_octets(10, 0, 0, 2), 80, remote, 5000};
    ASSERT_TRUE(table.insert(key, a));
    EXPECT_FALSE(table.insert(key, b)) << "a duplicate is refused and not counted";
    table.erase(key, b);  // maps to another socket: stays
    EXPECT_EQ(table.count_from(remote), 1u);
    table.erase(FourTuple{key.local_addr, 81, remote, 5000}, a);  // not present
    EXPECT_EQ(table.count_from(remote), 1u);
    table.erase(key, a);
    EXPECT_EQ(table.count_from(remote), 0u);
}

}  // namespace
}  // namespace shunt::tcp
