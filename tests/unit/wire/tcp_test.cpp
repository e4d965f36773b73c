#include "stack/wire/tcp.hpp"

#include "golden_frames.hpp"
#include "stack/wire/ipv4.hpp"
#include "tcp_frames.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <string_view>
#include <vector>

namespace shunt::wire {
namespace {

using namespace golden;

// The TCP segment of a captured frame: after Ethernet (14) and a 20-byte IPv4 header.
constexpr size_t kTcpOffset = 34;

std::span<uint8_t> tcp_part(std::vector<uint8_t>& frame) {
    return std::span{frame}.subspan(kTcpOffset);
}

std::string_view as_text(std::span<const uint8_t> s) {
    return {reinterpret_cast<const char*>(s.data()), s.size()};
}

std::vector<uint8_t> bytes_of(std::span<const uint8_t> s) {
    return {s.begin(), s.end()};
}

// One captured segment, its pseudo-header addresses and every field it must parse to.
struct Golden {
    const char* name;
    std::span<const uint8_t> frame;
    Ipv4Addr src, dst;
    TcpRepr want;
};

// A -> B is 192.0.2.1 -> 192.0.2.2; B -> A the reverse.
const std::vector<Golden>& goldens() {
    using namespace tcp_flag;
    static const std::vector<Golden> all = {
        {"syn",
         kTcpSyn,
         kIpA,
         kIpB,
         {.src_port = 40000,
          .dst_port = 8080,
          .seq = 3056830742,
          .ack = 0,
          .flags = syn,
          .window = 64240,
          .mss = 1460,
          .window_scale = 10,
          .sack_permitted = true,
          .timestamps = TcpTimestamps{0xb07458e7, 0}}},
        {"syn_ack",
         kTcpSynAck,
         kIpB,
         kIpA,
         {.src_port = 8080,
          .dst_port = 40000,
          .seq = 624062921,
          .ack = 3056830743,
          .flags = syn | ack,
          .window = 65160,
          .mss = 1460,
          .window_scale = 10,
          .sack_permitted = true,
          .timestamps = TcpTimestamps{0x22fb0a62, 0xb07458e7}}},
        {"data",
         kTcpData,
         kIpA,
         kIpB,
         {.src_port = 40000,
          .dst_port = 8080,
          .seq = 3056830743,
          .ack = 624062922,
          .flags = psh | ack,
          .window = 63,
          .timestamps = TcpTimestamps{0xb07458ec, 0x22fb0a62},
          .payload_len = 12}},
        {"fin",
         kTcpFin,
         kIpA,
         kIpB,
         {.src_port = 40000,
          .dst_port = 8080,
          .seq = 3056830755,
          .ack = 624062922,
          .flags = fin | ack,
          .window = 63,
          .timestamps = TcpTimestamps{0xb07458ec, 0x22fb0a67}}},
        {"rst",
         kTcpRst,
         kIpB,
         kIpA,
         {.src_port = 9,
          .dst_port = 40001,
          .seq = 0,
          .ack = 232939706,
          .flags = rst | ack,
          .window = 0}},
        {"sack_ts",
         kTcpSackTs,
         kIpB,
         kIpA,
         {.src_port = 8081,
          .dst_port = 40002,
          .seq = 2411488093,
          .ack = 215675488,
          .flags = ack,
          .window = 67,
          .timestamps = TcpTimestamps{0x3d199b2c, 0x06aa55b8},
          .sack = {{{215697208, 215702464}, {215687072, 215695760}, {215678384, 215685624}}},
          .sack_count = 3}},
        {"syn_ecn",
         kTcpSynEcn,
         kIpA,
         kIpB,
         {.src_port = 40003,
          .dst_port = 8082,
          .seq = 1831277863,
          .ack = 0,
          .flags = cwr | ece | syn,
          .window = 64240,
          .mss = 1460,
          .window_scale = 10,
          .sack_permitted = true}},
        {"syn_ack_ecn",
         kTcpSynAckEcn,
         kIpB,
         kIpA,
         {.src_port = 8082,
          .dst_port = 40003,
          .seq = 175544742,
          .ack = 1831277864,
          .flags = ece | syn | ack,
          .window = 64240,
          .mss = 1460,
          .window_scale = 10,
          .sack_permitted = true}},
        {"sack4",
         kTcpSack4,
         kIpB,
         kIpA,
         {.src_port = 8082,
          .dst_port = 40003,
          .seq = 175544743,
          .ack = 1831458088,
          .flags = ack,
          .window = 317,
          .sack = {{{1831469200, 1831470660},
                    {1831466280, 1831467740},
                    {1831462468, 1831463928},
                    {1831459548, 1831461008}}},
          .sack_count = 4}},
    };
    return all;
}

TEST(Tcp, ParsesEveryCapturedSegment) {
    for (const Golden& g : goldens()) {
        SCOPED_TRACE(g.name);
        auto buf = bytes_of(g.frame);
        // The IPv4 header around it: protocol 6, and the segment is exactly its payload.
        auto ip = Ipv4View::check(std::span{buf}.subspan(14));
        ASSERT_TRUE(ip.ok());
        EXPECT_EQ(ip.value.protocol(), ip_proto::tcp);
        EXPECT_EQ(ip.value.src(), g.src);
        EXPECT_EQ(ip.value.dst(), g.dst);
        EXPECT_EQ(ip.value.payload().size(), buf.size() - kTcpOffset);
        auto c = TcpView::check(tcp_part(buf));
        ASSERT_TRUE(c.ok()) << to_string(c.error);
        EXPECT_TRUE(c.value.verify_checksum(g.src, g.dst));
        auto r = TcpRepr::parse(c.value, g.src, g.dst);
        ASSERT_TRUE(r.ok()) << to_string(r.error);
        EXPECT_EQ(r.value, g.want);
        EXPECT_EQ(r.value.header_len(), c.value.header_len());
    }
}

// Emits `r` into a copy of the frame whose TCP header (options included) was wiped, and
// returns the copy: Linux's option layout must come out byte for byte.
std::vector<uint8_t> emit_over(const Golden& g, const TcpRepr& r) {
    auto buf = bytes_of(g.frame);
    const size_t hlen = TcpView{tcp_part(buf)}.header_len();
    std::fill(buf.begin() + kTcpOffset, buf.begin() + kTcpOffset + static_cast<ptrdiff_t>(hlen),
              0xee);
    TcpView v{tcp_part(buf)};
    r.emit(v, g.src, g.dst);
    return buf;
}

TEST(Tcp, EmitReproducesEveryCapturedSegment) {
    for (const Golden& g : goldens()) {
        SCOPED_TRACE(g.name);
        EXPECT_EQ(emit_over(g, g.want), bytes_of(g.frame));
    }
}

TEST(Tcp, ViewReadsEveryFieldOfCapturedSyn) {
    auto buf = copy_of(kTcpSyn);
    auto c = TcpView::check(tcp_part(buf));
    ASSERT_TRUE(c.ok());
    const TcpView& v = c.value;
    EXPECT_EQ(v.src_port(), 40000);
    EXPECT_EQ(v.dst_port(), 8080);
    EXPECT_EQ(v.seq_number(), 3056830742u);
    EXPECT_EQ(v.ack_number(), 0u);
    EXPECT_EQ(v.data_offset(), 10);
    EXPECT_EQ(v.header_len(), 40u);
    EXPECT_EQ(v.flags(), tcp_flag::syn);
    EXPECT_TRUE(v.has(tcp_flag::syn));
    EXPECT_FALSE(v.has(tcp_flag::ack));
    EXPECT_EQ(v.window(), 64240);
    EXPECT_EQ(v.checksum(), 0xc491);
    EXPECT_EQ(v.urgent_pointer(), 0);
    // MSS 1460 | SACKOK TS | NOP WS 10: Linux's SYN layout.
    const std::vector<uint8_t> opts = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xb0, 0x74,
                                       0x58, 0xe7, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a};
    EXPECT_EQ(bytes_of(v.options()), opts);
    EXPECT_EQ(v.options().data(), buf.data() + kTcpOffset + 20);
    EXPECT_TRUE(v.payload().empty());
    EXPECT_TRUE(v.verify_checksum(kIpA, kIpB));
}

TEST(Tcp, ViewReadsCapturedDataSegment) {
    auto buf = copy_of(kTcpData);
    auto c = TcpView::check(tcp_part(buf));
    ASSERT_TRUE(c.ok());
    const TcpView& v = c.value;
    EXPECT_EQ(v.header_len(), 32u);
    EXPECT_EQ(v.flags(), tcp_flag::psh | tcp_flag::ack);
    EXPECT_EQ(v.checksum(), 0x88bc);
    EXPECT_EQ(v.payload().data(), buf.data() + kTcpOffset + 32);
    EXPECT_EQ(as_text(v.payload()), "hello shunt\n");
    EXPECT_EQ(v.options().size(), 12u);
    EXPECT_EQ(v.options()[0], tcp_option::nop);
    EXPECT_EQ(v.options()[2], tcp_option::timestamps);
}

TEST(Tcp, ViewReadsCapturedRstAndEcnFlags) {
    auto rst = copy_of(kTcpRst);
    auto c = TcpView::check(tcp_part(rst));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.value.header_len(), 20u);
    EXPECT_TRUE(c.value.options().empty());
    EXPECT_TRUE(c.value.payload().empty());
    EXPECT_EQ(c.value.flags(), tcp_flag::rst | tcp_flag::ack);
    EXPECT_EQ(c.value.window(), 0);
    EXPECT_EQ(c.value.checksum(), 0x20e6);

    // RFC 3168 §6.1.1: an ECN-setup SYN carries ECE and CWR, the SYN-ACK ECE alone.
    auto syn = copy_of(kTcpSynEcn);
    TcpView s{tcp_part(syn)};
    EXPECT_EQ(s.flags(), 0xc2);
    EXPECT_TRUE(s.has(tcp_flag::ece));
    EXPECT_TRUE(s.has(tcp_flag::cwr));
    auto syn_ack = copy_of(kTcpSynAckEcn);
    TcpView sa{tcp_part(syn_ack)};
    EXPECT_EQ(sa.flags(), 0x52);
    EXPECT_FALSE(sa.has(tcp_flag::cwr));
}

TEST(Tcp, FlagMasksAreTheRfcBits) {
    EXPECT_EQ(tcp_flag::fin, 1 << 0);
    EXPECT_EQ(tcp_flag::syn, 1 << 1);
    EXPECT_EQ(tcp_flag::rst, 1 << 2);
    EXPECT_EQ(tcp_flag::psh, 1 << 3);
    EXPECT_EQ(tcp_flag::ack, 1 << 4);
    EXPECT_EQ(tcp_flag::urg, 1 << 5);
    EXPECT_EQ(tcp_flag::ece, 1 << 6);
    EXPECT_EQ(tcp_flag::cwr, 1 << 7);
}

TEST(Tcp, ChecksumHelperMatchesCapture) {
    auto buf = copy_of(kTcpData);
    auto seg = tcp_part(buf);
    store_be16(&seg[tcp_field::kChecksum], 0);
    EXPECT_EQ(tcp_checksum(kIpA, kIpB, seg), 0x88bc);
    EXPECT_NE(tcp_checksum(kIpA, kIpC, seg), 0x88bc);  // the pseudo header binds the addresses
    TcpView v{seg};
    v.fill_checksum(kIpA, kIpB);
    EXPECT_EQ(buf, copy_of(kTcpData));
}

TEST(Tcp, SettersWriteTheRfcLayout) {
    std::vector<uint8_t> buf(24, 0xff);
    TcpView v{buf};
    v.set_src_port(0x1234);
    v.set_dst_port(80);
    v.set_seq_number(0x01020304);
    v.set_ack_number(0xa0b0c0d0);
    v.set_header_len(24);
    v.set_flags(tcp_flag::syn | tcp_flag::ack);
    v.set_window(0xfffe);
    v.set_checksum(0xabcd);
    v.set_urgent_pointer(7);
    const std::vector<uint8_t> want = {0x12, 0x34, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04,
                                       0xa0, 0xb0, 0xc0, 0xd0, 0x60, 0x12, 0xff, 0xfe,
                                       0xab, 0xcd, 0x00, 0x07, 0xff, 0xff, 0xff, 0xff};
    EXPECT_EQ(buf, want);  // data offset 6, reserved bits zeroed
    EXPECT_EQ(v.data_offset(), 6);
    EXPECT_EQ(v.options().size(), 4u);
    EXPECT_TRUE(v.payload().empty());
}

TEST(Tcp, CheckErrors) {
    auto buf = copy_of(kTcpSyn);
    auto seg = tcp_part(buf);
    EXPECT_EQ(TcpView::check({}).error, Error::truncated);
    EXPECT_EQ(TcpView::check(seg.first(19)).error, Error::truncated);
    EXPECT_EQ(TcpView::check(seg.first(39)).error, Error::bad_header_len);  // offset 10 > 39
    EXPECT_TRUE(TcpView::check(seg.first(40)).ok());
    for (uint8_t off = 0; off < 5; ++off) {
        seg[tcp_field::kDataOffset] = static_cast<uint8_t>(off << 4);
        EXPECT_EQ(TcpView::check(seg).error, Error::bad_header_len) << int{off};
    }
    seg[tcp_field::kDataOffset] = 0xf0;  // 60 > 40 bytes
    EXPECT_EQ(TcpView::check(seg).error, Error::bad_header_len);
    seg[tcp_field::kDataOffset] = 0x50;
    auto c = TcpView::check(seg);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.value.payload().size(), 20u);  // the options now read as payload

    // No IPv4 datagram holds more than 65535 bytes of TCP.
    std::vector<uint8_t> huge(0x10000, 0);
    huge[tcp_field::kDataOffset] = 0x50;
    EXPECT_EQ(TcpView::check(huge).error, Error::bad_length);
    EXPECT_TRUE(TcpView::check(std::span{huge}.first(0xffff)).ok());
    EXPECT_EQ(TcpRepr::parse(TcpView{huge}, kIpA, kIpB, false).error, Error::bad_length);
}

TEST(Tcp, ParseErrors) {
    auto buf = copy_of(kTcpData);
    TcpView v{tcp_part(buf)};
    EXPECT_EQ(TcpRepr::parse(v, kIpA, kIpC).error, Error::bad_checksum);  // wrong pseudo header
    buf.back() = '!';
    EXPECT_EQ(TcpRepr::parse(v, kIpA, kIpB).error, Error::bad_checksum);
    auto unchecked = TcpRepr::parse(v, kIpA, kIpB, /*verify_checksum=*/false);
    ASSERT_TRUE(unchecked.ok());
    EXPECT_EQ(unchecked.value.payload_len, 12);
    // parse re-checks lengths, so an unchecked view is safe.
    EXPECT_EQ(TcpRepr::parse(TcpView{}, kIpA, kIpB).error, Error::truncated);
    EXPECT_EQ(TcpRepr::parse(TcpView{tcp_part(buf).first(31)}, kIpA, kIpB).error,
              Error::bad_header_len);
}

TEST(Tcp, ChecksumIsCheckedBeforeOptions) {
    auto buf = copy_of(kTcpSyn);
    auto seg = tcp_part(buf);
    seg[21] = 0;  // MSS length 0: malformed, and the checksum no longer matches
    EXPECT_EQ(TcpRepr::parse(TcpView{seg}, kIpA, kIpB).error, Error::bad_checksum);
    EXPECT_EQ(TcpRepr::parse(TcpView{seg}, kIpA, kIpB, false).error, Error::bad_option);
}

TEST(Tcp, ReservedBitsAreIgnoredOnReceiptAndZeroedOnEmit) {
    auto buf = copy_of(kTcpFin);
    TcpView v{tcp_part(buf)};
    buf[kTcpOffset + tcp_field::kDataOffset] |= 0x0f;
    v.fill_checksum(kIpA, kIpB);
    auto r = TcpRepr::parse(v, kIpA, kIpB);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, goldens()[3].want);
    r.value.emit(v, kIpA, kIpB);
    EXPECT_EQ(buf, copy_of(kTcpFin));
}

TEST(Tcp, EmitWithoutChecksumWritesZero) {
    const Golden& g = goldens()[2];
    auto buf = bytes_of(g.frame);
    TcpView v{tcp_part(buf)};
    g.want.emit(v, g.src, g.dst, /*fill_checksum=*/false);
    EXPECT_EQ(v.checksum(), 0);
    v.fill_checksum(g.src, g.dst);
    EXPECT_EQ(buf, bytes_of(g.frame));
}

TEST(Tcp, EmitChecksumCoversOnlyHeaderAndPayload) {
    // A view longer than the segment (a whole buffer): bytes past header + payload_len
    // are not summed.
    const Golden& g = goldens()[2];
    std::vector<uint8_t> buf(g.frame.begin() + kTcpOffset, g.frame.end());
    buf.resize(buf.size() + 9, 0x5a);
    TcpView v{buf};
    g.want.emit(v, g.src, g.dst);
    EXPECT_EQ(v.checksum(), 0x88bc);
}

TEST(Tcp, SegmentLenCountsSynAndFin) {
    EXPECT_EQ(goldens()[0].want.segment_len(), 1u);   // SYN
    EXPECT_EQ(goldens()[2].want.segment_len(), 12u);  // data
    EXPECT_EQ(goldens()[3].want.segment_len(), 1u);   // FIN
    EXPECT_EQ(goldens()[4].want.segment_len(), 0u);   // RST
    TcpRepr r{.flags = tcp_flag::syn | tcp_flag::fin, .payload_len = 65515};
    EXPECT_EQ(r.segment_len(), 65517u);
}

TEST(Tcp, EqualityIgnoresUnusedSackBlocks) {
    TcpRepr a{.sack = {{{1, 2}, {3, 4}}}, .sack_count = 1};
    TcpRepr b{.sack = {{{1, 2}, {9, 9}}}, .sack_count = 1};
    EXPECT_EQ(a, b);
    b.sack_count = 2;
    EXPECT_NE(a, b);
    b.sack[1] = {3, 4};
    a.sack_count = 2;
    EXPECT_EQ(a, b);
    b.sack[0].right = 3;
    EXPECT_NE(a, b);
}

// Emit then parse: every combination of options and SACK block counts survives, in a
// 4-aligned header of at most 60 bytes, keeping as many SACK blocks as fit.
TEST(Tcp, EveryOptionCombinationRoundTrips) {
    for (unsigned mask = 0; mask < 16; ++mask) {
        for (uint8_t blocks = 0; blocks <= 4; ++blocks) {
            TcpRepr r{.src_port = 1, .dst_port = 2, .seq = 3, .ack = 4, .flags = tcp_flag::ack};
            if (mask & 1) r.mss = 536;
            if (mask & 2) r.window_scale = 14;
            if (mask & 4) r.sack_permitted = true;
            if (mask & 8) r.timestamps = TcpTimestamps{0x11223344, 0x55667788};
            for (uint8_t b = 0; b < blocks; ++b) r.sack[b] = {100u * b, 100u * b + 50};
            r.sack_count = blocks;
            r.payload_len = 3;
            SCOPED_TRACE(testing::Message() << "mask " << mask << " blocks " << int{blocks});

            const size_t hlen = r.header_len();
            EXPECT_EQ(hlen % 4, 0u);
            EXPECT_LE(hlen, TcpView::kMaxHeaderLen);
            std::vector<uint8_t> buf(hlen + 3, 0xee);
            TcpView v{buf};
            r.emit(v, kIpA, kIpB);
            auto back = TcpRepr::parse(v, kIpA, kIpB);
            ASSERT_TRUE(back.ok()) << to_string(back.error);
            TcpRepr want = r;
            want.sack_count = static_cast<uint8_t>(r.emitted_sack_count());
            EXPECT_EQ(back.value, want);
            EXPECT_EQ(back.value.header_len(), hlen);
        }
    }
}

TEST(Tcp, SackBlocksThatDoNotFitAreDroppedFromTheEnd) {
    TcpRepr r{.flags = tcp_flag::ack,
              .timestamps = TcpTimestamps{1, 2},
              .sack = {{{10, 20}, {30, 40}, {50, 60}, {70, 80}}},
              .sack_count = 4};
    EXPECT_EQ(r.emitted_sack_count(), 3u);  // RFC 2018 §3: 3 blocks beside timestamps
    EXPECT_EQ(r.header_len(), 60u);
    r.timestamps.reset();
    EXPECT_EQ(r.emitted_sack_count(), 4u);
    EXPECT_EQ(r.header_len(), 56u);
    // A SYN's options leave room for 2 blocks.
    r.mss = 1460;
    r.window_scale = 7;
    r.sack_permitted = true;
    r.timestamps = TcpTimestamps{1, 2};
    EXPECT_EQ(r.emitted_sack_count(), 2u);
    EXPECT_EQ(r.header_len(), 60u);
    // The first blocks are kept: RFC 2018 §4 puts the most recent first.
    std::vector<uint8_t> buf(60);
    TcpView v{buf};
    r.emit(v, kIpA, kIpB);
    auto back = TcpRepr::parse(v, kIpA, kIpB);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back.value.sack_count, 2);
    EXPECT_EQ(back.value.sack[0], (SackBlock{10, 20}));
    EXPECT_EQ(back.value.sack[1], (SackBlock{30, 40}));
}

TEST(Tcp, EmitWithoutOptionsWritesAPlainHeader) {
    TcpRepr r{.src_port = 9, .dst_port = 40001, .ack = 232939706, .flags = tcp_flag::rst};
    EXPECT_EQ(r.header_len(), 20u);
    std::vector<uint8_t> buf(20, 0xee);
    TcpView v{buf};
    r.emit(v, kIpB, kIpA);
    EXPECT_EQ(v.data_offset(), 5);
    EXPECT_TRUE(v.verify_checksum(kIpB, kIpA));
}

// Malformed and unusual option lists, each in a 20-byte header plus `opts` (a multiple of
// 4 bytes), with a correct checksum so only the options decide.
Parsed<TcpRepr> parse_with_options(std::vector<uint8_t> opts, std::vector<uint8_t>* out = nullptr) {
    std::vector<uint8_t> buf(20 + opts.size(), 0);
    std::copy(opts.begin(), opts.end(), buf.begin() + 20);
    TcpView v{buf};
    TcpRepr{.src_port = 1, .dst_port = 2, .flags = tcp_flag::syn}.emit(v, kIpA, kIpB, false);
    v.set_header_len(buf.size());
    v.fill_checksum(kIpA, kIpB);
    if (out != nullptr) *out = buf;
    return TcpRepr::parse(v, kIpA, kIpB);
}

TEST(TcpOptions, EolEndsTheListAndNopsPad) {
    auto r = parse_with_options({0, 0, 0, 0});
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.value.mss);
    // Anything after EOL is padding, even bytes that would be malformed options.
    r = parse_with_options({0, 2, 0, 0xff});
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.value.mss);
    r = parse_with_options({1, 1, 1, 1, 2, 4, 0x02, 0x18});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.mss, 536);
    // No EOL needed when the last option ends at the header's end.
    r = parse_with_options({3, 3, 7, 0});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.window_scale, 7);
}

TEST(TcpOptions, IllegalLengthsAreBadOption) {
    // RFC 9293 §3.2 MUST-7: zero length (known and unknown kinds), length 1, no room for
    // the length octet, and a length that runs past the header.
    EXPECT_EQ(parse_with_options({0x42, 0, 1, 1}).error, Error::bad_option);
    EXPECT_EQ(parse_with_options({2, 0, 1, 1}).error, Error::bad_option);
    EXPECT_EQ(parse_with_options({0x42, 1, 1, 1}).error, Error::bad_option);
    EXPECT_EQ(parse_with_options({1, 1, 1, 0x42}).error, Error::bad_option);
    EXPECT_EQ(parse_with_options({1, 1, 1, 2}).error, Error::bad_option);
    EXPECT_EQ(parse_with_options({0x42, 5, 0, 0}).error, Error::bad_option);
    EXPECT_EQ(parse_with_options({1, 2, 4, 5}).error, Error::bad_option);  // MSS cut short
    EXPECT_EQ(parse_with_options({8, 10, 0, 0, 0, 0, 0, 0}).error, Error::bad_option);
    EXPECT_EQ(parse_with_options({1, 1, 0x42, 0xff}).error, Error::bad_option);
}

TEST(TcpOptions, WrongLengthForAKnownKindIsBadOption) {
    EXPECT_EQ(parse_with_options({2, 3, 5, 1}).error, Error::bad_option);  // MSS 3
    EXPECT_EQ(parse_with_options({2, 5, 5, 0xb4, 0, 1, 1, 1}).error, Error::bad_option);
    EXPECT_EQ(parse_with_options({3, 2, 1, 1}).error, Error::bad_option);              // WS 2
    EXPECT_EQ(parse_with_options({3, 4, 7, 0}).error, Error::bad_option);              // WS 4
    EXPECT_EQ(parse_with_options({4, 3, 0, 1}).error, Error::bad_option);              // SACKOK 3
    EXPECT_EQ(parse_with_options({8, 8, 0, 0, 0, 0, 0, 0}).error, Error::bad_option);  // TS 8
    EXPECT_EQ(parse_with_options({8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).error,
              Error::bad_option);                                          // TS 12
    EXPECT_EQ(parse_with_options({5, 2, 1, 1}).error, Error::bad_option);  // SACK, no block
    EXPECT_EQ(parse_with_options({5, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).error,
              Error::bad_option);  // SACK 9
    EXPECT_EQ(parse_with_options({5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).error,
              Error::bad_option);  // SACK 11
}

TEST(TcpOptions, UnknownKindsAreSkippedByLength) {
    // MUST-5: e.g. kind 30 (MPTCP) and 34 (TFO cookie), then the options we know.
    auto r = parse_with_options({30, 6, 0xde, 0xad, 0xbe, 0xef, 34, 2, 2, 4, 5, 0xb4});
    ASSERT_TRUE(r.ok()) << to_string(r.error);
    EXPECT_EQ(r.value.mss, 1460);
    // An unknown option whose data looks like an EOL is not an EOL.
    r = parse_with_options({0x42, 3, 0, 1, 3, 3, 2, 0});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.window_scale, 2);
    // Reaching exactly to the end of the header.
    r = parse_with_options({0xfe, 4, 0xaa, 0xbb});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value, (TcpRepr{.src_port = 1, .dst_port = 2, .flags = tcp_flag::syn}));
}

TEST(TcpOptions, WindowScaleAbove14IsTakenAs14) {
    auto r = parse_with_options({1, 3, 3, 14});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.window_scale, 14);
    r = parse_with_options({1, 3, 3, 15});  // RFC 7323 §2.3
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.window_scale, 14);
    r = parse_with_options({1, 3, 3, 0xff});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.window_scale, 14);
    r = parse_with_options({1, 3, 3, 0});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.window_scale, 0);
}

TEST(TcpOptions, RepeatsLastWinsAndSackBlocksAccumulate) {
    auto r = parse_with_options({2, 4, 0, 100, 2, 4, 0, 200});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.mss, 200);
    r = parse_with_options(
        {1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 10, 0, 0, 0, 3, 0, 0, 0, 4});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.sack_count, 2);
    EXPECT_EQ(r.value.sack[0], (SackBlock{1, 2}));
    EXPECT_EQ(r.value.sack[1], (SackBlock{3, 4}));
}

TEST(TcpOptions, FullOptionSpace) {
    // 40 bytes: TS (10) + SACK with 3 blocks (26) + WS (3) + EOL, packed tighter than Linux
    // would; parse takes it all and emit re-lays it out, dropping the block that no longer fits.
    std::vector<uint8_t> opts = {8, 10, 0, 0,  0, 1, 0, 0,  0, 2, 5, 26, 0, 0, 0, 10, 0, 0, 0, 20,
                                 0, 0,  0, 30, 0, 0, 0, 40, 0, 0, 0, 50, 0, 0, 0, 60, 3, 3, 5, 0};
    ASSERT_EQ(opts.size(), 40u);
    auto r = parse_with_options(opts);
    ASSERT_TRUE(r.ok()) << to_string(r.error);
    EXPECT_EQ(r.value.timestamps, (TcpTimestamps{1, 2}));
    EXPECT_EQ(r.value.window_scale, 5);
    EXPECT_EQ(r.value.sack_count, 3);
    EXPECT_EQ(r.value.sack[2], (SackBlock{50, 60}));
    EXPECT_EQ(r.value.emitted_sack_count(), 2u);  // NOP NOP TS | NOP WS | NOP NOP SACK 2
    EXPECT_EQ(r.value.header_len(), 20u + 12 + 4 + 4 + 16);
    // 4 SACK options of one block each: the most blocks 40 bytes can carry.
    std::vector<uint8_t> four;
    for (uint8_t i = 0; i < 4; ++i) {
        const std::vector<uint8_t> one = {5, 10, 0, 0, 0, i, 0, 0, 1, i};
        four.insert(four.end(), one.begin(), one.end());
    }
    r = parse_with_options(four);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value.sack_count, 4);
    EXPECT_EQ(r.value.sack[3], (SackBlock{3, 0x103}));
}

}  // namespace
}  // namespace shunt::wire
