// Reassembler: RFC 791 §3.2 reassembly with byte-exact checks over seeded random layouts and
// arrival orders, the overlap/duplicate/length rules, the flood limits and the timer with
// first-fragment hand-back (RFC 1122 §3.3.2). Every fragment carries a fake IPv4 header in
// its headroom, checked after reassembly to prove headroom is untouched. Every test ends
// with the whole pool back (TearDown, after the reassembler is destroyed).
#include "stack/iface/reassembly.hpp"

#include "packet/memory.hpp"
#include "packet/mempool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <random>
#include <vector>

namespace shunt {
namespace {

using wire::Ipv4Addr;
using namespace std::chrono_literals;

constexpr Instant kT0 = Instant::from_millis(5'000'000);
constexpr size_t kHdr = 20;

struct Piece {
    uint16_t offset;
    uint16_t length;
    bool more;
};

class ReassemblyTest : public ::testing::Test {
  protected:
    static constexpr uint32_t kPoolSize = 4096;

    void SetUp() override {
        auto pool = Mempool::create(provider_, kPoolSize, "reasm-test");
        ASSERT_TRUE(pool) << pool.error().message;
        pool_ = std::move(pool).value();
    }
    void TearDown() override {
        r_.reset();
        EXPECT_EQ(pool_->available(), pool_->capacity()) << "leaked packet buffers";
    }

    Reassembler& make(ReassemblyConfig cfg = {}) { return r_.emplace(cfg, drops_); }

    static std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
        std::mt19937 rng(seed);
        std::vector<uint8_t> v(n);
        for (auto& b : v) b = static_cast<uint8_t>(rng());
        return v;
    }
    // A recognizable stand-in for the fragment's IPv4 header (only its bytes matter here).
    static std::array<uint8_t, kHdr> header_for(uint16_t ident, uint16_t offset) {
        std::array<uint8_t, kHdr> h{};
        for (size_t i = 0; i < kHdr; ++i) {
            h[i] = static_cast<uint8_t>(0x45 + i * 3 + ident * 7 + offset + (offset >> 8));
        }
        return h;
    }

    // A buffer holding header + payload, trimmed so data() is the payload (as the caller
    // hands fragments over).
    Packet fragment_buf(uint16_t ident, uint16_t offset, const uint8_t* bytes, size_t len) {
        Packet p(pool_->alloc());
        EXPECT_TRUE(p) << "test pool exhausted";
        if (!p) return p;
        uint8_t* w = p->append(kHdr + len);
        EXPECT_NE(w, nullptr);
        const auto h = header_for(ident, offset);
        std::memcpy(w, h.data(), kHdr);
        if (len != 0) std::memcpy(w + kHdr, bytes, len);
        p->trim_front(kHdr);
        return p;
    }

    static FragmentInfo info(uint16_t offset, bool more, uint16_t ident = 1,
                             uint8_t protocol = 17) {
        return FragmentInfo{Ipv4Addr::from_octets(10, 0, 0, 1),
                            Ipv4Addr::from_octets(10, 0, 0, 2),
                            ident,
                            protocol,
                            offset,
                            more};
    }

    // Adds piece `p` of `data` (the whole datagram payload).
    PacketChain add(const std::vector<uint8_t>& data, Piece p, Instant now, uint16_t ident = 1) {
        return add_info(info(p.offset, p.more, ident), data.data() + p.offset, p.length, now);
    }
    PacketChain add_info(const FragmentInfo& fi, const uint8_t* bytes, size_t len, Instant now) {
        return r_->add(fi, fragment_buf(fi.ident, fi.offset, bytes, len), now);
    }
    // Fragment with arbitrary (zero) content, for rule tests.
    PacketChain add_raw(uint16_t offset, size_t len, bool more, Instant now = kT0,
                        uint16_t ident = 1) {
        std::vector<uint8_t> zeros(len);
        return add_info(info(offset, more, ident), zeros.data(), len, now);
    }

    // The chain is exactly `data`, buffers in order, none empty, headers intact in headroom.
    void expect_datagram(const PacketChain& c, const std::vector<uint8_t>& data,
                         uint16_t ident = 1) {
        ASSERT_EQ(c.byte_length(), data.size());
        size_t off = 0;
        for (PacketBuf* b : c) {
            ASSERT_GT(b->length(), 0u);
            ASSERT_EQ(std::memcmp(b->data(), data.data() + off, b->length()), 0)
                << "bytes differ in buffer at offset " << off;
            ASSERT_GE(b->headroom(), kHdr);
            const auto h = header_for(ident, static_cast<uint16_t>(off));
            ASSERT_EQ(std::memcmp(b->data() - kHdr, h.data(), kHdr), 0)
                << "headroom changed for fragment at offset " << off;
            off += b->length();
        }
    }

    // Splits [0, total) into fragments of multiple-of-8 lengths in [8, max_len] (the last
    // takes the remainder); with zero_tail the last data piece keeps MF and an empty MF=0
    // fragment closes the datagram.
    static std::vector<Piece> layout(std::mt19937& rng, size_t total, size_t max_len,
                                     bool zero_tail) {
        std::vector<Piece> v;
        size_t off = 0;
        while (off < total) {
            size_t len = 8 * (1 + rng() % (max_len / 8));
            if (off + len >= total) len = total - off;
            const bool last = off + len == total;
            v.push_back(
                {static_cast<uint16_t>(off), static_cast<uint16_t>(len), !last || zero_tail});
            off += len;
        }
        if (zero_tail) v.push_back({static_cast<uint16_t>(total), 0, false});
        return v;
    }

    size_t in_use() const { return pool_->capacity() - pool_->available(); }

    MemfdProvider provider_;
    std::unique_ptr<Mempool> pool_;
    DropCounters drops_;
    std::optional<Reassembler> r_;
};

// ---- reconstruction -----------------------------------------------------------------------

TEST_F(ReassemblyTest, InOrder) {
    auto& r = make();
    const auto data = pattern(3000, 1);
    EXPECT_TRUE(add(data, {0, 1480, true}, kT0).empty());
    EXPECT_EQ(r.datagrams_in_progress(), 1u);
    EXPECT_TRUE(add(data, {1480, 1480, true}, kT0 + 1ms).empty());
    EXPECT_EQ(r.buffers_held(), 2u);
    PacketChain out = add(data, {2960, 40, false}, kT0 + 2ms);
    EXPECT_EQ(out.count(), 3u);
    expect_datagram(out, data);
    EXPECT_EQ(r.datagrams_in_progress(), 0u);
    EXPECT_EQ(r.buffers_held(), 0u);
    EXPECT_FALSE(r.next_deadline());
    EXPECT_EQ(drops_.total(), 0u);
    out.clear();
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(ReassemblyTest, ReverseOrder) {
    auto& r = make();
    const auto data = pattern(4000, 2);
    EXPECT_TRUE(add(data, {3000, 1000, false}, kT0).empty());
    EXPECT_TRUE(add(data, {2000, 1000, true}, kT0).empty());
    EXPECT_TRUE(add(data, {1000, 1000, true}, kT0).empty());
    PacketChain out = add(data, {0, 1000, true}, kT0);
    EXPECT_EQ(out.count(), 4u);
    expect_datagram(out, data);
    EXPECT_EQ(r.datagrams_in_progress(), 0u);
    EXPECT_EQ(drops_.total(), 0u);
}

TEST_F(ReassemblyTest, LargestDatagramFitsAndOneByteMoreDoesNot) {
    auto& r = make();
    const auto data = pattern(65515, 3);
    std::vector<Piece> pieces;
    for (size_t off = 0; off < data.size(); off += 1480) {
        const size_t len = std::min<size_t>(1480, data.size() - off);
        pieces.push_back(
            {static_cast<uint16_t>(off), static_cast<uint16_t>(len), off + len < data.size()});
    }
    ASSERT_EQ(pieces.size(), 45u);
    PacketChain out;
    for (const Piece& p : pieces) out = add(data, p, kT0);
    expect_datagram(out, data);
    out.clear();
    // Ping of death: the last fragment reaches one byte past the limit.
    EXPECT_TRUE(add_raw(65512, 4, false).empty());
    EXPECT_EQ(drops_[DropReason::ipv4_frag_too_big], 1u);
    EXPECT_TRUE(add_raw(65528, 16, true).empty());
    EXPECT_EQ(drops_[DropReason::ipv4_frag_too_big], 2u);
    EXPECT_EQ(r.datagrams_in_progress(), 0u);
}

TEST_F(ReassemblyTest, ConfiguredSizeLimit) {
    ReassemblyConfig cfg;
    cfg.max_datagram_bytes = 2000;
    auto& r = make(cfg);
    EXPECT_TRUE(add_raw(1000, 1000, false).empty());
    EXPECT_EQ(drops_.total(), 0u);
    EXPECT_TRUE(add_raw(1000, 1008, false, kT0, 2).empty());
    EXPECT_EQ(drops_[DropReason::ipv4_frag_too_big], 1u);
    EXPECT_EQ(r.datagrams_in_progress(), 1u);
}

TEST_F(ReassemblyTest, RandomLayoutsAndPermutations) {
    ReassemblyConfig cfg;
    cfg.max_fragments_per_datagram = 1024;
    cfg.max_buffers = 4096;
    auto& r = make(cfg);
    std::mt19937 rng(0x5eed);
    for (int iter = 0; iter < 300; ++iter) {
        const size_t max_len = 8 * (1 + rng() % 253);  // up to 2024 bytes a fragment
        const size_t total = 1 + rng() % std::min<size_t>(65515, max_len * 120);
        const bool zero_tail = total % 8 == 0 && rng() % 2 == 0;
        const auto data = pattern(total, static_cast<uint32_t>(iter));
        std::vector<Piece> pieces = layout(rng, total, max_len, zero_tail);
        ASSERT_LE(pieces.size(), cfg.max_fragments_per_datagram);
        switch (iter % 3) {
            case 0:
                break;  // in order
            case 1:
                std::reverse(pieces.begin(), pieces.end());
                break;
            default:
                std::shuffle(pieces.begin(), pieces.end(), rng);
        }
        const uint16_t ident = static_cast<uint16_t>(iter);
        for (size_t i = 0; i + 1 < pieces.size(); ++i) {
            ASSERT_TRUE(add(data, pieces[i], kT0, ident).empty()) << "iter " << iter;
        }
        ASSERT_EQ(r.buffers_held(), pieces.size() - 1);
        PacketChain out = add(data, pieces.back(), kT0, ident);
        ASSERT_FALSE(out.empty()) << "iter " << iter;
        expect_datagram(out, data, ident);
        ASSERT_EQ(out.count(), pieces.size() - (zero_tail ? 1 : 0));
        out.clear();
        ASSERT_EQ(in_use(), 0u) << "iter " << iter;
        ASSERT_EQ(r.datagrams_in_progress(), 0u);
    }
    EXPECT_EQ(drops_.total(), 0u);
}

// Several datagrams at once, fragments interleaved in random order, with exact duplicates
// sprinkled in (before each datagram's final fragment, so they are dropped, not restarted).
TEST_F(ReassemblyTest, InterleavedDatagramsWithDuplicates) {
    ReassemblyConfig cfg;
    cfg.max_fragments_per_datagram = 1024;
    cfg.max_buffers = 4096;
    auto& r = make(cfg);
    std::mt19937 rng(777);
    for (size_t round = 0; round < 20; ++round) {
        struct Sent {
            size_t dgram;
            Piece piece;
        };
        constexpr size_t kDatagrams = 6;
        std::vector<std::vector<uint8_t>> data;
        std::vector<Sent> sends;
        std::vector<size_t> final_index(kDatagrams);
        size_t dups = 0;
        for (size_t d = 0; d < kDatagrams; ++d) {
            const size_t total = 1 + rng() % 9000;
            data.push_back(pattern(total, static_cast<uint32_t>(round * 100 + d)));
            auto pieces = layout(rng, total, 8 * (1 + rng() % 100), false);
            std::shuffle(pieces.begin(), pieces.end(), rng);
            const size_t ndup = pieces.size() > 1 ? rng() % 4 : 0;
            std::vector<Sent> mine;
            for (const Piece& p : pieces) mine.push_back({d, p});
            for (size_t k = 0; k < ndup; ++k) {
                // Duplicate any piece but the final one, placed anywhere before the final one.
                const Sent copy = mine[rng() % (pieces.size() - 1)];
                mine.insert(mine.begin() + static_cast<long>(rng() % (mine.size())), copy);
                ++dups;
            }
            // The final piece must stay the last of this datagram.
            auto last = std::find_if(mine.begin(), mine.end(), [&](const Sent& s) {
                return s.piece.offset == pieces.back().offset;
            });
            std::rotate(last, last + 1, mine.end());
            // Merge into the global order at random positions, keeping per-datagram order.
            std::vector<Sent> merged;
            size_t i = 0, j = 0;
            while (i < sends.size() || j < mine.size()) {
                if (j == mine.size() || (i < sends.size() && rng() % 2 == 0)) {
                    merged.push_back(sends[i++]);
                } else {
                    merged.push_back(mine[j++]);
                }
            }
            sends = std::move(merged);
        }
        std::vector<bool> done(kDatagrams, false);
        for (const Sent& s : sends) {
            const uint16_t ident = static_cast<uint16_t>(1000 + s.dgram);
            PacketChain out = add(data[s.dgram], s.piece, kT0, ident);
            if (!out.empty()) {
                ASSERT_FALSE(done[s.dgram]);
                done[s.dgram] = true;
                expect_datagram(out, data[s.dgram], ident);
            }
        }
        for (size_t d = 0; d < kDatagrams; ++d) EXPECT_TRUE(done[d]) << "round " << round;
        EXPECT_EQ(r.datagrams_in_progress(), 0u);
        EXPECT_EQ(drops_[DropReason::ipv4_frag_overlap], dups);
        drops_ = {};
        dups = 0;
        ASSERT_EQ(in_use(), 0u);
    }
}

TEST_F(ReassemblyTest, KeyIsSourceDestinationProtocolAndIdent) {
    auto& r = make();
    const auto a = pattern(16, 1);
    const auto b = pattern(16, 2);
    FragmentInfo fa = info(0, true, 5, 17);
    FragmentInfo fb = fa;
    fb.protocol = 6;  // same ident, other protocol: another datagram (RFC 791 §3.2)
    FragmentInfo fc = fa;
    fc.src = Ipv4Addr::from_octets(10, 0, 0, 9);
    FragmentInfo fd = fa;
    fd.dst = Ipv4Addr::from_octets(10, 0, 0, 9);
    EXPECT_TRUE(add_info(fa, a.data(), 8, kT0).empty());
    EXPECT_TRUE(add_info(fb, b.data(), 8, kT0).empty());
    EXPECT_TRUE(add_info(fc, b.data(), 8, kT0).empty());
    EXPECT_TRUE(add_info(fd, b.data(), 8, kT0).empty());
    EXPECT_EQ(r.datagrams_in_progress(), 4u);
    fa.offset = 8;
    fa.more_fragments = false;
    PacketChain out = add_info(fa, a.data() + 8, 8, kT0);
    expect_datagram(out, a, 5);
    EXPECT_EQ(r.datagrams_in_progress(), 3u);
    EXPECT_EQ(drops_.total(), 0u);
}

TEST_F(ReassemblyTest, ZeroLengthLastFragmentClosesTheDatagram) {
    auto& r = make();
    const auto data = pattern(32, 4);
    EXPECT_TRUE(add(data, {0, 16, true}, kT0).empty());
    EXPECT_TRUE(add(data, {32, 0, false}, kT0).empty());  // says: the payload is 32 bytes
    EXPECT_EQ(r.buffers_held(), 2u);
    PacketChain out = add(data, {16, 16, true}, kT0);
    EXPECT_EQ(out.count(), 2u);  // the empty buffer is not part of the result
    expect_datagram(out, data);
    out.clear();
    EXPECT_EQ(in_use(), 0u);
    EXPECT_EQ(drops_.total(), 0u);
}

TEST_F(ReassemblyTest, UnfragmentedPacketPassesThrough) {
    auto& r = make();
    const auto data = pattern(100, 5);
    PacketChain out = add(data, {0, 100, false}, kT0);
    EXPECT_EQ(out.count(), 1u);
    expect_datagram(out, data);
    EXPECT_EQ(r.datagrams_in_progress(), 0u);
    EXPECT_TRUE(r.add(info(0, true), Packet(), kT0).empty());  // no buffer: nothing happens
}

// ---- duplicates and overlaps --------------------------------------------------------------

TEST_F(ReassemblyTest, ExactDuplicateIsDroppedAndFirstCopyKept) {
    auto& r = make();
    const auto data = pattern(24, 6);
    EXPECT_TRUE(add(data, {0, 8, true}, kT0).empty());
    // Same offset and length, different bytes: the first copy wins, the datagram survives.
    EXPECT_TRUE(add_raw(0, 8, true).empty());
    EXPECT_EQ(drops_[DropReason::ipv4_frag_overlap], 1u);
    EXPECT_EQ(r.buffers_held(), 1u);
    EXPECT_TRUE(add(data, {16, 8, false}, kT0).empty());
    EXPECT_TRUE(add(data, {16, 8, false}, kT0).empty());  // duplicate last fragment
    EXPECT_EQ(drops_[DropReason::ipv4_frag_overlap], 2u);
    PacketChain out = add(data, {8, 8, true}, kT0);
    expect_datagram(out, data);
    EXPECT_EQ(drops_.total(), 2u);
}

struct OverlapCase {
    const char* name;
    Piece newcomer;
};

class ReassemblyOverlapTest : public ReassemblyTest,
                              public ::testing::WithParamInterface<OverlapCase> {};

// Held: [0,16) [32,48) [64,72)+last. Every newcomer below overlaps something but is not an
// exact duplicate, so the whole datagram goes.
TEST_P(ReassemblyOverlapTest, OverlapDropsWholeDatagram) {
    auto& r = make();
    EXPECT_TRUE(add_raw(0, 16, true).empty());
    EXPECT_TRUE(add_raw(32, 16, true).empty());
    EXPECT_TRUE(add_raw(64, 8, false).empty());
    const Piece p = GetParam().newcomer;
    EXPECT_TRUE(add_raw(p.offset, p.length, p.more).empty());
    EXPECT_EQ(drops_[DropReason::ipv4_frag_overlap], 4u);  // newcomer + the three held
    EXPECT_EQ(drops_.total(), 4u);
    EXPECT_EQ(r.datagrams_in_progress(), 0u);
    EXPECT_EQ(r.buffers_held(), 0u);
    EXPECT_EQ(in_use(), 0u);
    EXPECT_FALSE(r.next_deadline());
    // The key is free again: a clean retransmission reassembles.
    const auto data = pattern(16, 7);
    EXPECT_TRUE(add(data, {0, 8, true}, kT0 + 1s).empty());
    expect_datagram(add(data, {8, 8, false}, kT0 + 1s), data);
}

INSTANTIATE_TEST_SUITE_P(Cases, ReassemblyOverlapTest,
                         ::testing::Values(OverlapCase{"TailOfPrevious", {8, 16, true}},
                                           OverlapCase{"HeadOfNext", {24, 16, true}},
                                           OverlapCase{"SameOffsetShorter", {32, 8, true}},
                                           OverlapCase{"SameOffsetLonger", {0, 24, true}},
                                           OverlapCase{"Contained", {40, 8, true}},
                                           OverlapCase{"Containing", {24, 32, true}},
                                           OverlapCase{"BridgesTwo", {8, 32, true}},
                                           OverlapCase{"IntoLast", {56, 16, true}}),
                         [](const ::testing::TestParamInfo<OverlapCase>& i) {
                             return std::string(i.param.name);
                         });

// ---- malformed fragments ------------------------------------------------------------------

TEST_F(ReassemblyTest, BadLengthsAndOffsetsDropOnlyTheFragment) {
    auto& r = make();
    EXPECT_TRUE(add_raw(0, 16, true).empty());   // a good one, kept throughout
    EXPECT_TRUE(add_raw(16, 12, true).empty());  // non-last, not a multiple of 8
    EXPECT_TRUE(add_raw(16, 0, true).empty());   // empty non-last
    EXPECT_TRUE(add_raw(20, 8, true).empty());   // offset not a multiple of 8
    EXPECT_EQ(drops_[DropReason::ipv4_frag_malformed], 3u);
    EXPECT_EQ(drops_.total(), 3u);
    EXPECT_EQ(r.buffers_held(), 1u);
    EXPECT_EQ(r.datagrams_in_progress(), 1u);
    // A last fragment of any length is fine.
    EXPECT_EQ(add_raw(16, 13, false).byte_length(), 29u);
}

TEST_F(ReassemblyTest, SecondLastFragmentWithOtherEndDropsDatagram) {
    auto& r = make();
    EXPECT_TRUE(add_raw(0, 8, true).empty());
    EXPECT_TRUE(add_raw(32, 8, false).empty());  // end 40
    EXPECT_TRUE(add_raw(48, 8, false).empty());  // end 56: conflicting
    EXPECT_EQ(drops_[DropReason::ipv4_frag_malformed], 3u);
    EXPECT_EQ(r.datagrams_in_progress(), 0u);
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(ReassemblyTest, FragmentPastKnownEndDropsDatagram) {
    auto& r = make();
    EXPECT_TRUE(add_raw(16, 4, false).empty());  // end 20
    EXPECT_TRUE(add_raw(16, 8, true).empty());   // reaches 24 > 20
    EXPECT_EQ(drops_[DropReason::ipv4_frag_malformed], 2u);
    EXPECT_EQ(r.datagrams_in_progress(), 0u);
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(ReassemblyTest, LastFragmentBelowHeldDataDropsDatagram) {
    auto& r = make();
    EXPECT_TRUE(add_raw(0, 8, true).empty());
    EXPECT_TRUE(add_raw(64, 8, true).empty());
    EXPECT_TRUE(add_raw(8, 8, false).empty());  // claims the end is 16, but 64..72 is held
    EXPECT_EQ(drops_[DropReason::ipv4_frag_malformed], 3u);
    EXPECT_EQ(r.datagrams_in_progress(), 0u);
}

// ---- limits -------------------------------------------------------------------------------

TEST_F(ReassemblyTest, DatagramLimitDropsNewcomersNotHeldDatagrams) {
    ReassemblyConfig cfg;
    cfg.max_datagrams = 2;
    auto& r = make(cfg);
    const auto d1 = pattern(16, 8);
    EXPECT_TRUE(add(d1, {0, 8, true}, kT0, 1).empty());
    EXPECT_TRUE(add_raw(0, 8, true, kT0, 2).empty());
    EXPECT_TRUE(add_raw(0, 8, true, kT0, 3).empty());
    EXPECT_TRUE(add_raw(8, 8, true, kT0 + 1s, 4).empty());
    EXPECT_EQ(drops_[DropReason::ipv4_frag_limit], 2u);
    EXPECT_EQ(r.datagrams_in_progress(), 2u);
    // Held datagrams still take fragments and complete, which frees a slot.
    expect_datagram(add(d1, {8, 8, false}, kT0 + 1s, 1), d1, 1);
    EXPECT_TRUE(add_raw(0, 8, true, kT0 + 1s, 3).empty());
    EXPECT_EQ(r.datagrams_in_progress(), 2u);
    EXPECT_EQ(drops_.total(), 2u);
}

TEST_F(ReassemblyTest, BufferLimitIsGlobal) {
    ReassemblyConfig cfg;
    cfg.max_buffers = 3;
    auto& r = make(cfg);
    EXPECT_TRUE(add_raw(0, 8, true, kT0, 1).empty());
    EXPECT_TRUE(add_raw(8, 8, true, kT0, 1).empty());
    EXPECT_TRUE(add_raw(0, 8, true, kT0, 2).empty());
    EXPECT_TRUE(add_raw(16, 8, true, kT0, 1).empty());  // existing datagram, no buffer left
    EXPECT_TRUE(add_raw(0, 8, true, kT0, 3).empty());   // new datagram, no buffer left
    EXPECT_EQ(drops_[DropReason::ipv4_frag_limit], 2u);
    EXPECT_EQ(r.buffers_held(), 3u);
    EXPECT_EQ(r.datagrams_in_progress(), 2u);
    EXPECT_EQ(in_use(), 3u);
}

TEST_F(ReassemblyTest, FragmentsPerDatagramLimit) {
    ReassemblyConfig cfg;
    cfg.max_fragments_per_datagram = 2;
    auto& r = make(cfg);
    EXPECT_TRUE(add_raw(0, 8, true).empty());
    EXPECT_TRUE(add_raw(16, 8, false).empty());
    EXPECT_TRUE(add_raw(8, 8, true).empty());  // would be the third
    EXPECT_EQ(drops_[DropReason::ipv4_frag_limit], 1u);
    EXPECT_EQ(r.buffers_held(), 2u);
    // Other datagrams are not affected.
    EXPECT_TRUE(add_raw(0, 8, true, kT0, 2).empty());
    EXPECT_EQ(add_raw(8, 8, false, kT0, 2).count(), 2u);
}

// ---- timeout ------------------------------------------------------------------------------

TEST_F(ReassemblyTest, TimeoutReturnsFirstFragmentAndFreesTheRest) {
    auto& r = make();  // 30 s
    const auto data = pattern(48, 9);
    EXPECT_TRUE(add(data, {0, 16, true}, kT0, 1).empty());
    EXPECT_TRUE(add(data, {32, 16, false}, kT0 + 10s, 1).empty());  // does not extend the timer
    EXPECT_TRUE(add_raw(8, 8, true, kT0 + 5s, 2).empty());          // no first fragment
    EXPECT_TRUE(add_raw(16, 8, true, kT0 + 5s, 2).empty());
    EXPECT_EQ(r.next_deadline(), kT0 + 30s);

    PacketChain firsts;
    EXPECT_EQ(r.expire(kT0 + 30s - 1us, firsts), 0u);
    EXPECT_TRUE(firsts.empty());
    EXPECT_EQ(r.expire(kT0 + 30s, firsts), 1u);
    EXPECT_EQ(drops_[DropReason::ipv4_frag_timeout], 2u);
    ASSERT_EQ(firsts.count(), 1u);
    PacketBuf* b = firsts.front();
    EXPECT_EQ(b->length(), 16u);
    EXPECT_EQ(std::memcmp(b->data(), data.data(), 16), 0);
    // The caller restores the IP header for the ICMP time exceeded quote (RFC 792).
    const auto h = header_for(1, 0);
    ASSERT_NE(b->prepend(kHdr), nullptr);
    EXPECT_EQ(std::memcmp(b->data(), h.data(), kHdr), 0);
    EXPECT_EQ(r.buffers_held(), 2u);
    EXPECT_EQ(in_use(), 3u);  // the returned first fragment + datagram 2
    firsts.clear();

    EXPECT_EQ(r.next_deadline(), kT0 + 35s);
    EXPECT_EQ(r.expire(kT0 + 35s, firsts), 1u);
    EXPECT_TRUE(firsts.empty());  // fragment zero never came: no ICMP
    EXPECT_EQ(drops_[DropReason::ipv4_frag_timeout], 4u);
    EXPECT_EQ(drops_.total(), 4u);
    EXPECT_EQ(r.datagrams_in_progress(), 0u);
    EXPECT_EQ(r.buffers_held(), 0u);
    EXPECT_FALSE(r.next_deadline());
    EXPECT_EQ(in_use(), 0u);
}

TEST_F(ReassemblyTest, LateFragmentStartsAfreshAfterTimeout) {
    auto& r = make();
    EXPECT_TRUE(add_raw(0, 8, true, kT0).empty());
    // Arrives at the deadline, before anyone called expire(): the old datagram is expired
    // first and this fragment does not complete it.
    EXPECT_TRUE(add_raw(8, 8, false, kT0 + 30s).empty());
    EXPECT_EQ(drops_[DropReason::ipv4_frag_timeout], 1u);
    EXPECT_EQ(r.datagrams_in_progress(), 1u);
    EXPECT_EQ(r.buffers_held(), 2u);          // new fragment + stashed first fragment
    EXPECT_EQ(r.next_deadline(), kT0 + 30s);  // expire() has a first fragment to hand out
    PacketChain firsts;
    EXPECT_EQ(r.expire(kT0 + 30s, firsts), 1u);
    EXPECT_EQ(firsts.count(), 1u);
    EXPECT_EQ(r.buffers_held(), 1u);
    EXPECT_EQ(r.next_deadline(), kT0 + 60s);
    EXPECT_EQ(r.expire(kT0 + 31s, firsts), 0u);  // reported once
}

TEST_F(ReassemblyTest, ExpiredDatagramsFreeSlotsForNewOnes) {
    ReassemblyConfig cfg;
    cfg.max_datagrams = 2;
    cfg.timeout = 10s;
    auto& r = make(cfg);
    EXPECT_TRUE(add_raw(0, 8, true, kT0, 1).empty());
    EXPECT_TRUE(add_raw(8, 8, true, kT0 + 1s, 2).empty());
    EXPECT_TRUE(add_raw(0, 8, true, kT0 + 9s, 3).empty());
    EXPECT_EQ(drops_[DropReason::ipv4_frag_limit], 1u);      // nothing has expired yet
    EXPECT_TRUE(add_raw(0, 8, true, kT0 + 10s, 3).empty());  // ident 1 expired: room
    EXPECT_EQ(drops_[DropReason::ipv4_frag_timeout], 1u);
    EXPECT_EQ(r.datagrams_in_progress(), 2u);
    EXPECT_TRUE(add_raw(0, 8, true, kT0 + 10s, 4).empty());  // ident 2 has not expired
    EXPECT_EQ(drops_[DropReason::ipv4_frag_limit], 2u);
    PacketChain firsts;
    EXPECT_EQ(r.expire(kT0 + 11s, firsts), 2u);  // 1 (expired by add) + 2
    EXPECT_EQ(firsts.count(), 1u);               // only ident 1 had fragment zero
    EXPECT_EQ(r.datagrams_in_progress(), 1u);
}

TEST_F(ReassemblyTest, DestructorReleasesHeldBuffers) {
    auto& r = make();
    for (uint16_t id = 0; id < 10; ++id) {
        EXPECT_TRUE(add_raw(0, 8, true, kT0, id).empty());
        EXPECT_TRUE(add_raw(16, 8, true, kT0, id).empty());
    }
    EXPECT_TRUE(add_raw(8, 8, false, kT0 + 40s, 99).empty());  // expires the rest into the stash
    EXPECT_EQ(r.buffers_held(), 11u);
    EXPECT_EQ(in_use(), 11u);
    // TearDown destroys the reassembler and checks the pool is whole.
}

}  // namespace
}  // namespace shunt
