// The TAP backend against the real kernel: the test moves itself into a fresh network
// namespace, creates the TAP, and talks to it from the kernel side with an AF_PACKET socket.
// Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for unshare) and /dev/net/tun: ctest label netns.
#include "driver/tap/tap_nic.hpp"
#include "ioctl_ctl/link.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <vector>

namespace shunt {
namespace {

constexpr uint16_t kTestEthertype = 0x88b5;  // IEEE 802 local experimental ethertype 1
constexpr const char* kIfname = "shunt-t0";

class TapNicTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { in_netns_ = ::geteuid() == 0 && ::unshare(CLONE_NEWNET) == 0; }

    void SetUp() override {
        if (!in_netns_) GTEST_SKIP() << "needs root and unshare(CLONE_NEWNET) for a private netns";
        auto tap = TapNic::open(TapConfig{kIfname, MacAddr{{0x02, 0, 0, 0, 0, 0x42}}, 1500, 512});
        ASSERT_TRUE(tap.ok()) << tap.error().message;
        nic_ = std::move(tap).value();
        // Silence IPv6 autoconfiguration chatter on the kernel side.
        std::ofstream(std::string("/proc/sys/net/ipv6/conf/") + kIfname + "/disable_ipv6") << "1";
        ASSERT_TRUE(ctl::set_link_up(kIfname, true).ok());
        auto info = ctl::interface_info(kIfname);
        ASSERT_TRUE(info.ok()) << info.error().message;
        kernel_mac_ = info->mac;
        raw_.reset(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(kTestEthertype)));
        ASSERT_TRUE(raw_.valid());
        sockaddr_ll sll{};
        sll.sll_family = AF_PACKET;
        sll.sll_protocol = htons(kTestEthertype);
        sll.sll_ifindex = info->index;
        ASSERT_EQ(::bind(raw_.get(), reinterpret_cast<sockaddr*>(&sll), sizeof(sll)), 0);
    }

    std::vector<uint8_t> frame(size_t len, uint8_t seed, MacAddr dst, MacAddr src) {
        std::vector<uint8_t> f(len);
        std::copy(dst.bytes.begin(), dst.bytes.end(), f.begin());
        std::copy(src.bytes.begin(), src.bytes.end(), f.begin() + 6);
        f[12] = kTestEthertype >> 8;
        f[13] = kTestEthertype & 0xff;
        for (size_t i = 14; i < len; ++i) f[i] = static_cast<uint8_t>(seed + i * 7);
        return f;
    }

    // Receives from the NIC until `want` test frames arrived or 2 s passed.
    std::vector<std::vector<uint8_t>> receive(size_t want) {
        std::vector<std::vector<uint8_t>> got;
        std::array<PacketBuf*, 32> bufs{};
        for (int spins = 0; spins < 200 && got.size() < want; ++spins) {
            pollfd pfd{nic_->wait_fd(0), POLLIN, 0};
            ::poll(&pfd, 1, 10);
            const size_t n = nic_->rx_batch(0, bufs);
            for (size_t i = 0; i < n; ++i) {
                auto b = bufs[i]->bytes();
                if (b.size() >= 14 && b[12] == (kTestEthertype >> 8) && b[13] == 0xb5) {
                    got.emplace_back(b.begin(), b.end());
                }
                bufs[i]->unref();
            }
        }
        return got;
    }

    static inline bool in_netns_ = false;
    std::unique_ptr<TapNic> nic_;
    MacAddr kernel_mac_{};
    UniqueFd raw_;
};

TEST_F(TapNicTest, FramesFromTheKernelArriveByteExactInBatches) {
    std::vector<std::vector<uint8_t>> sent;
    for (size_t i = 0; i < 100; ++i) {
        sent.push_back(frame(60 + i * 14, static_cast<uint8_t>(i), nic_->mac(), kernel_mac_));
        ASSERT_EQ(::send(raw_.get(), sent.back().data(), sent.back().size(), 0),
                  static_cast<ssize_t>(sent.back().size()));
    }
    const NicCounters before = nic_->counters();
    auto got = receive(sent.size());
    ASSERT_EQ(got.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(got[i], sent[i]) << "frame " << i;
    const NicCounters after = nic_->counters();
    EXPECT_GE(after.rx_packets - before.rx_packets, sent.size());
    EXPECT_EQ(after.rx_copy_bytes - before.rx_copy_bytes, after.rx_bytes - before.rx_bytes);
}

TEST_F(TapNicTest, FramesWeSendReachTheKernelByteExact) {
    std::vector<std::vector<uint8_t>> sent;
    std::vector<PacketBuf*> bufs;
    for (size_t i = 0; i < 64; ++i) {
        sent.push_back(frame(60 + i * 20, static_cast<uint8_t>(3 * i), kernel_mac_, nic_->mac()));
        PacketBuf* b = nic_->tx_pool(0).alloc();
        ASSERT_NE(b, nullptr);
        std::copy(sent.back().begin(), sent.back().end(), b->append(sent.back().size()));
        bufs.push_back(b);
    }
    const uint32_t free_before = nic_->tx_pool(0).available();
    ASSERT_EQ(nic_->tx_batch(0, bufs), bufs.size());
    EXPECT_EQ(nic_->tx_pool(0).available(), free_before + bufs.size()) << "TX released buffers";
    std::vector<uint8_t> rx(2048);
    size_t matched = 0;
    for (int spins = 0; spins < 200 && matched < sent.size(); ++spins) {
        pollfd pfd{raw_.get(), POLLIN, 0};
        ::poll(&pfd, 1, 10);
        ssize_t r;
        while ((r = ::recv(raw_.get(), rx.data(), rx.size(), 0)) > 0) {
            ASSERT_LT(matched, sent.size());
            EXPECT_EQ(std::vector<uint8_t>(rx.begin(), rx.begin() + r), sent[matched]);
            ++matched;
        }
    }
    EXPECT_EQ(matched, sent.size());
    EXPECT_EQ(nic_->counters().tx_packets, sent.size());
}

TEST_F(TapNicTest, LinkFollowsTheKernelSide) {
    EXPECT_TRUE(nic_->link().up);
    ASSERT_TRUE(ctl::set_link_up(kIfname, false).ok());
    EXPECT_FALSE(nic_->link().up);
}

TEST(TapNicConfig, RejectsBadNamesAndMtu) {
    auto too_long = TapNic::open(TapConfig{"a-name-longer-than-15", {}, 1500, 16});
    ASSERT_FALSE(too_long.ok());
    EXPECT_NE(too_long.error().message.find("1-15 characters"), std::string::npos);
    auto bad_mtu = TapNic::open(TapConfig{"ok", {}, 9000, 16});
    ASSERT_FALSE(bad_mtu.ok());
    EXPECT_NE(bad_mtu.error().message.find("MTU 9000"), std::string::npos);
}

}  // namespace
}  // namespace shunt
