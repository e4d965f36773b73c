// kernel-stack on's route decision (plan_routes): a route the kernel made again by itself is
// accepted when it equals the saved one and replaced when it differs; routes through the
// interface that were not saved are removed, saved ones missing are added. Another
// interface's route with the same table, prefix and metric is never taken for ours.
#include "ioctl_ctl/restore.hpp"

#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace shunt::ctl {
namespace {

RouteRecord route(const std::string& dst, int len, int ifindex, uint32_t table = RT_TABLE_MAIN,
                  uint32_t metric = 256) {
    RouteRecord r;
    r.family = dst.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    r.table = table;
    r.type = RTN_UNICAST;
    r.protocol = RTPROT_KERNEL;
    r.priority = metric;
    r.dst = dst;
    r.dst_len = len;
    r.nexthops.push_back(NextHopRecord{ifindex, "", 0, 0});
    return r;
}

RouteRecord multicast_ff00(int ifindex) {
    RouteRecord r = route("ff00::", 8, ifindex, RT_TABLE_LOCAL);
    r.type = RTN_MULTICAST;
    return r;
}

TEST(RestorePlan, EqualRouteTheKernelMadeIsAccepted) {
    const std::vector<RouteRecord> saved = {route("fe80::", 64, 3), multicast_ff00(3)};
    const std::vector<RouteRecord> now = {multicast_ff00(3), route("fe80::", 64, 3)};
    const RoutePlan p = plan_routes(saved, now);
    EXPECT_EQ(p.accept.size(), 2u);
    EXPECT_TRUE(p.add.empty());
    EXPECT_TRUE(p.remove.empty());
    EXPECT_TRUE(p.replace.empty());
}

TEST(RestorePlan, DifferentVersionOfTheSameRouteIsReplaced) {
    RouteRecord saved_local = route("192.0.2.2", 32, 3, RT_TABLE_LOCAL, 0);
    saved_local.type = RTN_LOCAL;
    saved_local.scope = RT_SCOPE_HOST;
    saved_local.pref_src = "192.0.2.2";
    RouteRecord kernel_local = saved_local;
    kernel_local.pref_src = "192.0.2.3";  // made for the address that came back first
    RouteRecord saved_ll = route("fe80::", 64, 3);
    saved_ll.protocol = RTPROT_BOOT;
    const RoutePlan p =
        plan_routes({saved_local, saved_ll}, {route("fe80::", 64, 3), kernel_local});
    ASSERT_EQ(p.replace.size(), 2u);
    EXPECT_EQ(p.replace[0].first, kernel_local);
    EXPECT_EQ(p.replace[0].second, saved_local);
    EXPECT_EQ(p.replace[1].first, route("fe80::", 64, 3));
    EXPECT_EQ(p.replace[1].second, saved_ll);
    EXPECT_TRUE(p.add.empty());
    EXPECT_TRUE(p.remove.empty());
    EXPECT_TRUE(p.accept.empty());
}

TEST(RestorePlan, MissingAddedExtraRemoved) {
    const RouteRecord gw = [] {
        RouteRecord r = route("203.0.113.0", 24, 3, RT_TABLE_MAIN, 0);
        r.protocol = RTPROT_BOOT;
        r.nexthops[0].gateway = "192.0.2.1";
        return r;
    }();
    const RouteRecord extra = route("198.51.100.0", 24, 3, RT_TABLE_MAIN, 0);
    const RoutePlan p = plan_routes({gw, multicast_ff00(3)}, {extra, multicast_ff00(3)});
    EXPECT_EQ(p.add, std::vector<RouteRecord>{gw});
    EXPECT_EQ(p.remove, std::vector<RouteRecord>{extra});
    EXPECT_EQ(p.accept.size(), 1u);
    EXPECT_TRUE(p.replace.empty());
}

TEST(RestorePlan, OtherMetricOrOtherDeviceIsNotTheSameRoute) {
    EXPECT_TRUE(same_route(route("fe80::", 64, 3), route("fe80::", 64, 3)));
    EXPECT_FALSE(same_route(route("fe80::", 64, 3), route("fe80::", 64, 4)));
    EXPECT_FALSE(same_route(route("fe80::", 64, 3), route("fe80::", 64, 3, RT_TABLE_MAIN, 1024)));
    EXPECT_FALSE(same_route(route("fe80::", 64, 3), route("fe80::", 64, 3, 100)));
    EXPECT_FALSE(same_route(route("fe80::", 64, 3), route("fe80::", 10, 3)));
    // Saved: ours on ifindex 3. Now: only another interface's (the caller lists only the
    // routes through ours, but a merged listing must not be mistaken for it either).
    const RoutePlan p = plan_routes({multicast_ff00(3)}, {multicast_ff00(5)});
    EXPECT_EQ(p.add, std::vector<RouteRecord>{multicast_ff00(3)});
    EXPECT_EQ(p.remove, std::vector<RouteRecord>{multicast_ff00(5)});
}

TEST(RestorePlan, AnIdenticalPairIsMatchedOnce) {
    // Two saved routes cannot match the same kernel route.
    const RoutePlan p =
        plan_routes({route("fe80::", 64, 3), route("fe80::", 64, 3)}, {route("fe80::", 64, 3)});
    EXPECT_EQ(p.accept.size(), 1u);
    EXPECT_EQ(p.add.size(), 1u);
}

}  // namespace
}  // namespace shunt::ctl
