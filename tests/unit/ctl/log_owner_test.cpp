// The undo log's key check (check_log_owner): a log belongs to one interface instance, by
// boot, network namespace (inode, and the cookie that is never reused) and ifindex, or by
// its PCI device after `off --unbind`. A log whose namespace or interface is gone is stale;
// another interface that has the name now is not the one the log describes.
#include "ioctl_ctl/kernel_stack.hpp"

#include <gtest/gtest.h>

#include <map>

namespace shunt::ctl {
namespace {

UndoLog log_for(uint64_t netns, uint64_t cookie, int ifindex) {
    UndoLog log;
    log.kind = "kernel-stack";
    log.boot_id = "boot-a";
    log.netns = netns;
    log.netns_cookie = cookie;
    log.ifname = "ctl0";
    log.ifindex = ifindex;
    return log;
}

struct FakeHost {
    std::map<int, std::string> links = {{2, "ctl0"}};
    std::map<uint64_t, uint64_t> namespaces = {{100, 5000}, {200, 6000}};  // inode -> cookie
    std::vector<std::string> pci = {"0000:03:00.0"};

    HostView view() const {
        HostView h;
        h.netns = 100;
        h.netns_cookie = 5000;
        h.boot_id = "boot-a";
        h.netns_exists = [this](uint64_t inode, uint64_t cookie) {
            auto it = namespaces.find(inode);
            return it != namespaces.end() && (cookie == 0 || it->second == cookie);
        };
        h.ifname_of = [this](int ifindex) -> std::optional<std::string> {
            auto it = links.find(ifindex);
            if (it == links.end()) return std::nullopt;
            return it->second;
        };
        h.pci_exists = [this](const std::string& p) {
            return std::find(pci.begin(), pci.end(), p) != pci.end();
        };
        return h;
    }
};

TEST(LogOwner, ThisInterfaceInThisNamespaceIsLive) {
    const FakeHost host;
    const LogCheck c = check_log_owner(log_for(100, 5000, 2), host.view());
    EXPECT_EQ(c.owner, LogOwner::live);
    EXPECT_TRUE(c.reason.empty());
}

TEST(LogOwner, InterfaceGoneIsStaleEvenIfAnotherHasItsName) {
    FakeHost host;
    host.links = {{7, "ctl0"}};  // ctl0 deleted (ifindex 2) and made again (ifindex 7)
    const LogCheck c = check_log_owner(log_for(100, 5000, 2), host.view());
    EXPECT_EQ(c.owner, LogOwner::stale);
    EXPECT_EQ(c.reason, "interface ctl0 (ifindex 2) no longer exists");
}

TEST(LogOwner, NamespaceGoneIsStale) {
    const FakeHost host;
    const LogCheck c = check_log_owner(log_for(300, 7000, 2), host.view());
    EXPECT_EQ(c.owner, LogOwner::stale);
    EXPECT_EQ(c.reason, "its network namespace net:[300] no longer exists");
}

TEST(LogOwner, AnotherLiveNamespaceIsNotOurs) {
    const FakeHost host;
    EXPECT_EQ(check_log_owner(log_for(200, 6000, 2), host.view()).owner, LogOwner::other_namespace);
}

TEST(LogOwner, ReusedNamespaceInodeIsToldApartByTheCookie) {
    // The log's namespace (inode 100, cookie 4000) was deleted; ours reuses inode 100.
    const FakeHost host;
    const LogCheck c = check_log_owner(log_for(100, 4000, 2), host.view());
    EXPECT_EQ(c.owner, LogOwner::stale);
    // Elsewhere too: inode 200 now belongs to a namespace with another cookie.
    EXPECT_EQ(check_log_owner(log_for(200, 4001, 2), host.view()).owner, LogOwner::stale);
    // A version 1 log has no cookie: the inode decides.
    EXPECT_EQ(check_log_owner(log_for(100, 0, 2), host.view()).owner, LogOwner::live);
}

TEST(LogOwner, AnotherBootIsStale) {
    const FakeHost host;
    UndoLog log = log_for(100, 5000, 2);
    log.boot_id = "boot-b";
    const LogCheck c = check_log_owner(log, host.view());
    EXPECT_EQ(c.owner, LogOwner::stale);
    EXPECT_NE(c.reason.find("before the system last booted"), std::string::npos) << c.reason;
}

TEST(LogOwner, UnboundDeviceIsFoundByPciAddress) {
    FakeHost host;
    host.links.clear();  // the interface went with the driver
    UndoLog log = log_for(100, 5000, 2);
    log.pci = "0000:03:00.0";
    log.changes = {"addresses-flushed", "unbound"};
    EXPECT_EQ(check_log_owner(log, host.view()).owner, LogOwner::live);
    host.pci.clear();  // hot-unplugged
    const LogCheck c = check_log_owner(log, host.view());
    EXPECT_EQ(c.owner, LogOwner::stale);
    EXPECT_EQ(c.reason, "its PCI device 0000:03:00.0 no longer exists");
}

}  // namespace
}  // namespace shunt::ctl
