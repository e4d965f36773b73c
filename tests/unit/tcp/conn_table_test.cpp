// The connection table (conn_table.hpp): open addressing with backward-shift deletion,
// checked against std::map through random inserts and erases in a nearly full table (long
// probe runs that wrap around the array's end).
#include "stack/tcp/conn_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>

namespace shunt::tcp {
namespace {

FourTuple tuple(uint16_t remote_port, uint32_t remote_addr = 0x0a000001) {
    return FourTuple{wire::Ipv4Addr{0x0a000002}, 80, wire::Ipv4Addr{remote_addr}, remote_port};
}

TcpSocket* fake(uintptr_t n) {
    return reinterpret_cast<TcpSocket*>(n * 64);  // never dereferenced
}

TEST(ConnTable, FindsWhatWasInsertedAndNothingElse) {
    ConnTable t(8);
    EXPECT_TRUE(t.insert(tuple(1000), fake(1)));
    EXPECT_TRUE(t.insert(tuple(1001), fake(2)));
    EXPECT_FALSE(t.insert(tuple(1000), fake(3)));  // present already
    EXPECT_EQ(t.find(tuple(1000)), fake(1));
    EXPECT_EQ(t.find(tuple(1001)), fake(2));
    EXPECT_EQ(t.find(tuple(1002)), nullptr);
    t.erase(tuple(1000), fake(9));  // another socket's key: kept
    EXPECT_EQ(t.find(tuple(1000)), fake(1));
    t.erase(tuple(1000), fake(1));
    EXPECT_EQ(t.find(tuple(1000)), nullptr);
    EXPECT_EQ(t.size(), 1u);
}

TEST(ConnTable, RefusesMoreThanItsCapacity) {
    ConnTable t(3);
    for (uint16_t p = 0; p < 3; ++p) EXPECT_TRUE(t.insert(tuple(p), fake(p + 1u)));
    EXPECT_FALSE(t.insert(tuple(99), fake(99)));
    EXPECT_EQ(t.size(), 3u);
}

TEST(ConnTable, RandomChurnAgreesWithAMap) {
    constexpr size_t kCapacity = 64;  // 128 slots, kept nearly half full
    ConnTable t(kCapacity);
    auto cmp = [](const FourTuple& a, const FourTuple& b) {
        return std::tie(a.remote_addr.value, a.remote_port) <
               std::tie(b.remote_addr.value, b.remote_port);
    };
    std::map<FourTuple, TcpSocket*, decltype(cmp)> ref(cmp);
    std::mt19937 gen(11);
    auto rng = [&gen] { return static_cast<uint32_t>(gen()); };
    for (int step = 0; step < 50000; ++step) {
        const FourTuple k = tuple(static_cast<uint16_t>(rng() % 200), 0x0a000001 + rng() % 2);
        const uint32_t op = rng() % 3;
        if (op == 0) {
            TcpSocket* v = fake(1 + rng() % 1000);
            const bool fits = ref.size() < kCapacity && !ref.contains(k);
            ASSERT_EQ(t.insert(k, v), fits);
            if (fits) ref[k] = v;
        } else if (op == 1) {
            auto it = ref.find(k);
            t.erase(k, it == ref.end() ? nullptr : it->second);
            if (it != ref.end()) ref.erase(it);
        }
        auto it = ref.find(k);
        ASSERT_EQ(t.find(k), it == ref.end() ? nullptr : it->second) << "step " << step;
        ASSERT_EQ(t.size(), ref.size());
        if (step % 1000 == 0) {
            for (auto& [key, v] : ref) ASSERT_EQ(t.find(key), v);
        }
    }
}

}  // namespace
}  // namespace shunt::tcp
