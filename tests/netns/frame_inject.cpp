// frame_inject: sends malformed Ethernet frames out of a (kernel-side TAP) interface through an
// AF_PACKET socket, addressed to the stack under test. A netns-tier test tool (not shipped).
//
//   frame_inject --ifname shunt0 --dst-mac 02:77:00:00:00:02 --src-ip 10.77.0.1
//                --dst-ip 10.77.0.2 [--count 200] [--seed 1] [--interval-us 2000]
//                [--kinds all|malformed|random|KIND,KIND...]
//
// Kinds are interleaved round robin, --count of each. "malformed" is every kind with an expected
// drop reason; "random" is seeded random bytes after shuntd's MAC (default: all). For every kind it
// prints one line
//   inject KIND EXPECTED_DROP_REASON SENT REFUSED
// where REFUSED counts frames the kernel would not transmit (EINVAL: the kernel refuses frames
// shorter than an Ethernet header on an Ethernet device, so those never reach the peer).
// EXPECTED_DROP_REASON is "-" for kinds no single counter is expected to catch.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/mac_addr.hpp"
#include "base/unique_fd.hpp"

namespace {

using Bytes = std::vector<uint8_t>;

struct Options {
    std::string ifname;
    shunt::MacAddr dst_mac{};
    uint32_t src_ip = 0;  // host order
    uint32_t dst_ip = 0;
    unsigned count = 200;
    uint64_t seed = 1;
    unsigned interval_us = 2000;
    std::string kinds = "all";
};

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "frame_inject: %s\n", msg.c_str());
    std::exit(2);
}

template <typename T>
T parse_num(std::string_view text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
        die("bad number '" + std::string(text) + "'");
    return value;
}

uint32_t parse_ip(const std::string& text) {
    in_addr a{};
    if (::inet_pton(AF_INET, text.c_str(), &a) != 1) die("bad IPv4 address '" + text + "'");
    return ntohl(a.s_addr);
}

Options parse_args(int argc, char** argv) {
    Options o;
    bool have_mac = false, have_src = false, have_dst = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (i + 1 >= argc) die("missing value for " + std::string(arg));
        std::string value = argv[++i];
        if (arg == "--ifname") {
            o.ifname = value;
        } else if (arg == "--dst-mac") {
            auto mac = shunt::MacAddr::parse(value);
            if (!mac) die("bad MAC '" + value + "'");
            o.dst_mac = *mac;
            have_mac = true;
        } else if (arg == "--src-ip") {
            o.src_ip = parse_ip(value);
            have_src = true;
        } else if (arg == "--dst-ip") {
            o.dst_ip = parse_ip(value);
            have_dst = true;
        } else if (arg == "--count") {
            o.count = parse_num<unsigned>(value);
        } else if (arg == "--seed") {
            o.seed = parse_num<uint64_t>(value);
        } else if (arg == "--kinds") {
            o.kinds = value;
        } else if (arg == "--interval-us") {
            o.interval_us = parse_num<unsigned>(value);
        } else {
            die("unknown argument '" + std::string(arg) + "'");
        }
    }
    if (o.ifname.empty() || !have_mac || !have_src || !have_dst) {
        die("usage: frame_inject --ifname IF --dst-mac MAC --src-ip IP --dst-ip IP [--count N] "
            "[--seed N] [--interval-us N]");
    }
    if (o.count > 100000) die("--count is bounded at 100000");
    return o;
}

// ---- byte building ----

void put16(Bytes& b, size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}
void put32(Bytes& b, size_t at, uint32_t v) {
    put16(b, at, static_cast<uint16_t>(v >> 16));
    put16(b, at + 2, static_cast<uint16_t>(v));
}

uint32_t sum16(const uint8_t* p, size_t len, uint32_t acc = 0) {
    for (size_t i = 0; i + 1 < len; i += 2) acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (len % 2 != 0) acc += static_cast<uint32_t>(p[len - 1] << 8);
    return acc;
}
uint16_t fold(uint32_t acc) {
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<uint16_t>(~acc);
}

constexpr size_t kEth = 14;
constexpr size_t kIp = kEth;       // IPv4 header offset
constexpr size_t kL4 = kEth + 20;  // transport header offset (IHL 5)
constexpr uint8_t kIcmp = 1, kUdp = 17;

struct Builder {
    const Options& o;
    shunt::MacAddr src_mac;
    uint16_t ip_id = 0x4000;

    Bytes eth(uint16_t ethertype, size_t payload_len) const {
        Bytes b(kEth + payload_len, 0);
        std::memcpy(b.data(), o.dst_mac.bytes.data(), 6);
        std::memcpy(b.data() + 6, src_mac.bytes.data(), 6);
        put16(b, 12, ethertype);
        return b;
    }

    // A valid IPv4 header (IHL 5, correct checksum) around `l4_len` bytes of transport data.
    Bytes ipv4(uint8_t proto, size_t l4_len) {
        Bytes b = eth(ETHERTYPE_IP, 20 + l4_len);
        b[kIp] = 0x45;
        put16(b, kIp + 2, static_cast<uint16_t>(20 + l4_len));
        put16(b, kIp + 4, ip_id++);
        b[kIp + 8] = 64;
        b[kIp + 9] = proto;
        put32(b, kIp + 12, o.src_ip);
        put32(b, kIp + 16, o.dst_ip);
        ip_checksum(b);
        return b;
    }
    static void ip_checksum(Bytes& b) {
        put16(b, kIp + 10, 0);
        put16(b, kIp + 10, fold(sum16(b.data() + kIp, 20)));
    }

    Bytes icmp_echo(size_t data_len, uint16_t seq) {
        Bytes b = ipv4(kIcmp, 8 + data_len);
        b[kL4] = 8;  // echo request
        put16(b, kL4 + 4, 0x5eed);
        put16(b, kL4 + 6, seq);
        for (size_t i = 0; i < data_len; ++i) b[kL4 + 8 + i] = static_cast<uint8_t>(i);
        put16(b, kL4 + 2, fold(sum16(b.data() + kL4, 8 + data_len)));
        return b;
    }

    Bytes udp(uint16_t dport, size_t data_len) {
        Bytes b = ipv4(kUdp, 8 + data_len);
        put16(b, kL4, 40000);
        put16(b, kL4 + 2, dport);
        put16(b, kL4 + 4, static_cast<uint16_t>(8 + data_len));
        for (size_t i = 0; i < data_len; ++i) b[kL4 + 8 + i] = static_cast<uint8_t>('a' + i % 26);
        uint32_t acc = sum16(b.data() + kIp + 12, 8);  // pseudo header: addresses
        acc += kUdp + static_cast<uint32_t>(8 + data_len);
        uint16_t c = fold(sum16(b.data() + kL4, 8 + data_len, acc));
        put16(b, kL4 + 6, c == 0 ? 0xffff : c);
        return b;
    }
};

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

struct Kind {
    const char* name;
    const char* expect;  // drop reason that must count it, or "-"
    Bytes (*make)(Builder&, uint64_t& rng, unsigned i);
    unsigned sent = 0, refused = 0;
};

std::vector<Kind> kinds() {
    return {
        {"eth_short", "eth_truncated",
         [](Builder& b, uint64_t&, unsigned i) {
             Bytes f = b.eth(0x0800, 0);
             f.resize(6 + i % 8);  // 6..13 bytes: a destination MAC and part of a source
             return f;
         }},
        {"eth_unknown_type", "eth_unknown_ethertype",
         [](Builder& b, uint64_t&, unsigned) {
             return b.eth(0x88b5, 46);
         }},  // IEEE local experimental
        {"arp_truncated", "arp_malformed",
         [](Builder& b, uint64_t&, unsigned) {
             Bytes f = b.eth(ETHERTYPE_ARP, 10);  // htype, ptype, hlen, plen, op, 2 bytes of sha
             put16(f, kEth, 1);
             put16(f, kEth + 2, ETHERTYPE_IP);
             f[kEth + 4] = 6;
             f[kEth + 5] = 4;
             put16(f, kEth + 6, 1);
             return f;
         }},
        {"ipv4_version5", "ipv4_bad_version",
         [](Builder& b, uint64_t&, unsigned i) {
             Bytes f = b.icmp_echo(32, static_cast<uint16_t>(i));
             f[kIp] = 0x55;
             Builder::ip_checksum(f);
             return f;
         }},
        {"ipv4_ihl4", "ipv4_bad_header_len",
         [](Builder& b, uint64_t&, unsigned i) {
             Bytes f = b.icmp_echo(32, static_cast<uint16_t>(i));
             f[kIp] = 0x44;
             Builder::ip_checksum(f);
             return f;
         }},
        {"ipv4_total_len_too_big", "ipv4_truncated",
         [](Builder& b, uint64_t&, unsigned i) {
             Bytes f = b.icmp_echo(32, static_cast<uint16_t>(i));  // 60-byte datagram
             put16(f, kIp + 2, 1000);
             Builder::ip_checksum(f);
             return f;
         }},
        {"ipv4_bad_checksum", "ipv4_bad_checksum",
         [](Builder& b, uint64_t&, unsigned i) {
             Bytes f = b.icmp_echo(32, static_cast<uint16_t>(i));
             f[kIp + 10] ^= 0x5a;
             return f;
         }},
        {"udp_bad_checksum", "udp_bad_checksum",
         [](Builder& b, uint64_t&, unsigned) {
             Bytes f = b.udp(7, 16);
             f[kL4 + 6] ^= 0x33;  // still non-zero: a checksum that is present and wrong
             return f;
         }},
        {"udp_len_too_big", "udp_malformed",
         [](Builder& b, uint64_t&, unsigned) {
             Bytes f = b.udp(7, 16);
             put16(f, kL4 + 4, 8 + 16 + 100);  // claims 100 bytes more than the IP payload holds
             put16(f, kL4 + 6, 0);             // no checksum: the length is the only fault
             return f;
         }},
        {"icmp_bad_checksum", "icmp_bad_checksum",
         [](Builder& b, uint64_t&, unsigned i) {
             Bytes f = b.icmp_echo(32, static_cast<uint16_t>(i));
             f[kL4 + 2] ^= 0x0f;
             return f;
         }},
        {"random", "-",
         [](Builder& b, uint64_t& rng, unsigned) {
             size_t len = kEth + splitmix64(rng) % (1500 - kEth + 1);
             Bytes f(len);
             for (auto& x : f) x = static_cast<uint8_t>(splitmix64(rng));
             std::memcpy(f.data(), b.o.dst_mac.bytes.data(), 6);
             return f;
         }},
    };
}

// "all", "malformed" (kinds with an expected reason), "random", or a comma-separated list.
std::vector<Kind> select_kinds(const std::string& spec) {
    std::vector<Kind> every = kinds(), chosen;
    std::string list = "," + spec + ",";
    for (const Kind& k : every) {
        bool malformed = std::string_view(k.expect) != "-";
        if (spec == "all" || (spec == "malformed" && malformed) ||
            (spec == "random" && !malformed) ||
            list.find("," + std::string(k.name) + ",") != std::string::npos) {
            chosen.push_back(k);
        }
    }
    if (chosen.empty()) die("--kinds '" + spec + "' selects no kind");
    return chosen;
}

shunt::MacAddr interface_mac(int fd, const std::string& ifname) {
    ifreq ifr{};
    if (ifname.size() >= sizeof ifr.ifr_name) die("interface name too long");
    std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
    if (::ioctl(fd, SIOCGIFHWADDR, &ifr) != 0)
        die("SIOCGIFHWADDR " + ifname + ": " + std::strerror(errno));
    shunt::MacAddr m;
    std::memcpy(m.bytes.data(), ifr.ifr_hwaddr.sa_data, 6);
    return m;
}

// Sends one frame; retries ENOBUFS/EAGAIN for up to a second. Returns 0 or the errno.
int send_frame(int fd, const Bytes& f) {
    for (int tries = 0; tries < 1000; ++tries) {
        if (::send(fd, f.data(), f.size(), 0) >= 0) return 0;
        if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) return errno;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return ENOBUFS;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse_args(argc, argv);
    // Protocol 0: this socket only transmits; it receives nothing.
    shunt::UniqueFd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
    if (!fd.valid()) die(std::string("AF_PACKET socket: ") + std::strerror(errno));
    unsigned ifindex = ::if_nametoindex(o.ifname.c_str());
    if (ifindex == 0) die("no interface '" + o.ifname + "': " + std::strerror(errno));
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = static_cast<int>(ifindex);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sll), sizeof sll) != 0) {
        die(std::string("bind to ") + o.ifname + ": " + std::strerror(errno));
    }
    Builder builder{o, interface_mac(fd.get(), o.ifname)};
    uint64_t rng = o.seed;
    std::vector<Kind> all = select_kinds(o.kinds);
    for (unsigned i = 0; i < o.count; ++i) {
        for (Kind& k : all) {
            Bytes f = k.make(builder, rng, i);
            int err = send_frame(fd.get(), f);
            if (err == 0) {
                ++k.sent;
            } else if (err == EINVAL && f.size() < kEth) {
                ++k.refused;  // the kernel will not put a frame shorter than 14 bytes on Ethernet
            } else {
                die(std::string("sending a ") + k.name + " frame of " + std::to_string(f.size()) +
                    " bytes: " + std::strerror(err));
            }
            if (o.interval_us != 0)
                std::this_thread::sleep_for(std::chrono::microseconds(o.interval_us));
        }
    }
    for (const Kind& k : all)
        std::printf("inject %s %s %u %u\n", k.name, k.expect, k.sent, k.refused);
    return 0;
}
