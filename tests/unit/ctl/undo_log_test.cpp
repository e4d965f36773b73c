// The undo log: its text format (round trip and a golden text that pins it), what it refuses
// to read, and the atomic write (old or new content, never a mix, no temp files left).
#include "ioctl_ctl/undo_log.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace shunt::ctl {
namespace {

namespace fs = std::filesystem;

using test::slurp;
using test::TempDir;

UndoLog full_log() {
    UndoLog log;
    log.kind = "kernel-stack";
    log.created = "2025-01-02T03:04:05Z";
    log.netns = 4026532285;
    log.netns_cookie = 8193;
    log.boot_id = "5d7e0c1e-0000-4000-8000-000000000001";
    log.ifname = "eth1";
    log.ifindex = 7;
    log.pci = "0000:03:00.0";
    log.driver = "ixgbe";
    log.driver_override = "ixgbe";
    log.mac = MacAddr{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
    log.mtu = 1400;
    log.flags = 0x11043;
    log.ipv6_disabled = false;
    log.keep_link = true;
    log.unbind = true;
    AddressRecord v4;
    v4.family = AF_INET;
    v4.local = "192.0.2.2";
    v4.prefixlen = 24;
    v4.broadcast = "192.0.2.255";
    v4.label = "eth1:vip";
    v4.flags = 0x80;
    AddressRecord p2p = v4;
    p2p.local = "10.0.0.1";
    p2p.prefixlen = 32;
    p2p.peer = "10.0.0.2";
    p2p.broadcast.clear();
    p2p.label = "eth1";
    AddressRecord v6;
    v6.family = AF_INET6;
    v6.local = "2001:db8::2";
    v6.prefixlen = 64;
    v6.scope = 0;
    v6.flags = 0x200;
    v6.valid_lft = 3600;
    v6.preferred_lft = 1800;
    log.addresses = {v4, p2p, v6};
    RouteRecord def;
    def.family = AF_INET;
    def.protocol = 3;
    def.dst = "0.0.0.0";
    def.nexthops = {{7, "192.0.2.1", 0, 0}};
    RouteRecord multi;
    multi.family = AF_INET6;
    multi.table = 100;
    multi.priority = 1024;
    multi.dst = "2001:db8:99::";
    multi.dst_len = 48;
    multi.src = "2001:db8:1::";
    multi.src_len = 64;
    multi.metrics = {{2, 1300}, {8, 10}};
    multi.nexthops = {{7, "fe80::1", 0, 0}, {8, "fe80::2", 2, 4}};
    RouteRecord via;
    via.family = AF_INET;
    via.scope = 253;
    via.dst = "203.0.113.0";
    via.dst_len = 24;
    via.pref_src = "192.0.2.2";
    via.flags = 4;
    via.nexthops = {{7, "fe80::1", 0, 4}};
    log.routes = {def, multi, via};
    log.changes = {"addresses-flushed", "routes-flushed"};
    return log;
}

void expect_same(const UndoLog& a, const UndoLog& b) {
    EXPECT_EQ(a.to_text(), b.to_text());
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.netns, b.netns);
    EXPECT_EQ(a.netns_cookie, b.netns_cookie);
    EXPECT_EQ(a.boot_id, b.boot_id);
    EXPECT_EQ(a.ifname, b.ifname);
    EXPECT_EQ(a.ifindex, b.ifindex);
    EXPECT_EQ(a.pci, b.pci);
    EXPECT_EQ(a.driver, b.driver);
    EXPECT_EQ(a.driver_override, b.driver_override);
    EXPECT_EQ(a.mac, b.mac);
    EXPECT_EQ(a.mtu, b.mtu);
    EXPECT_EQ(a.flags, b.flags);
    EXPECT_EQ(a.ipv6_disabled, b.ipv6_disabled);
    EXPECT_EQ(a.keep_link, b.keep_link);
    EXPECT_EQ(a.unbind, b.unbind);
    EXPECT_EQ(a.addresses, b.addresses);
    EXPECT_EQ(a.routes, b.routes);
    EXPECT_EQ(a.changes, b.changes);
}

TEST(UndoLog, RoundTrip) {
    const UndoLog log = full_log();
    auto back = UndoLog::parse(log.to_text());
    ASSERT_TRUE(back.ok()) << back.error().message;
    expect_same(log, back.value());
    EXPECT_TRUE(back->has_change("routes-flushed"));
    EXPECT_FALSE(back->has_change("link-down"));
}

TEST(UndoLog, MinimalRoundTrip) {
    UndoLog log;
    log.kind = "bind";
    log.pci = "0000:03:00.1";
    auto back = UndoLog::parse(log.to_text());
    ASSERT_TRUE(back.ok()) << back.error().message;
    expect_same(log, back.value());
    EXPECT_FALSE(back->mtu || back->flags || back->ipv6_disabled || back->mac);
}

// Pins the format (docs/host-control.md documents it): a change here is a format change and
// needs kVersion bumped.
TEST(UndoLog, GoldenText) {
    UndoLog log;
    log.kind = "kernel-stack";
    log.created = "2025-01-02T03:04:05Z";
    log.boot_id = "0c5c1a5e-5b0a-4c4b-9d1e-3f2a7c9b8e11";
    log.netns = 4026531840;
    log.netns_cookie = 4097;
    log.ifname = "eth1";
    log.ifindex = 3;
    log.mtu = 1500;
    log.flags = 0x1003;
    log.ipv6_disabled = true;
    AddressRecord a;
    a.family = AF_INET;
    a.local = "192.0.2.2";
    a.prefixlen = 24;
    a.label = "eth1";
    a.flags = 0x80;
    log.addresses = {a};
    RouteRecord r;
    r.family = AF_INET;
    r.protocol = 3;
    r.dst = "0.0.0.0";
    r.nexthops = {{3, "192.0.2.1", 0, 0}};
    log.routes = {r};
    log.changes = {"addresses-flushed"};
    EXPECT_EQ(log.to_text(),
              "shunt-undo 2\n"
              "# Written by shuntctl before it changed the host; `shuntctl kernel-stack on` or\n"
              "# `shuntctl unbind` restores what it records. See docs/host-control.md.\n"
              "kind kernel-stack\n"
              "created 2025-01-02T03:04:05Z\n"
              "boot-id 0c5c1a5e-5b0a-4c4b-9d1e-3f2a7c9b8e11\n"
              "netns 4026531840\n"
              "netns-cookie 4097\n"
              "ifname eth1\n"
              "ifindex 3\n"
              "mtu 1500\n"
              "flags 0x1003\n"
              "ipv6-disabled 1\n"
              "options keep-link=0 unbind=0\n"
              "addr family=inet local=192.0.2.2 prefixlen=24 label=eth1 scope=0 flags=0x80 "
              "valid=4294967295 preferred=4294967295\n"
              "route family=inet table=254 type=1 protocol=3 scope=0 tos=0 priority=0 flags=0x0 "
              "dst=0.0.0.0/0 nh=3,192.0.2.1,0,0x0\n"
              "change addresses-flushed\n"
              "end\n");
}

TEST(UndoLog, RefusesWhatItDoesNotUnderstand) {
    const std::string good = full_log().to_text();
    struct Case {
        std::string text;
        std::string error;
    };
    const std::string no_end = good.substr(0, good.rfind("end\n"));
    std::string newer = good;
    newer.replace(0, 12, "shunt-undo 3");
    std::string unknown = good;
    unknown.insert(unknown.rfind("end\n"), "colour blue\n");
    std::string bad_addr = good;
    bad_addr.insert(bad_addr.rfind("end\n"), "addr family=inet local=999.1.1.1 prefixlen=24\n");
    std::string bad_route = good;
    bad_route.insert(bad_route.rfind("end\n"), "route family=inet table=254 type=1 dst=10.0.0.0\n");
    const std::vector<Case> cases = {
        {"", "empty undo log"},
        {"hello\n", "not a shunt undo log (no shunt-undo line)"},
        {no_end, "the undo log is truncated (no 'end' line)"},
        {newer, "undo log version 3 is not a version (1 to 2) this shuntctl reads"},
        {unknown, "line 27: unknown line 'colour'"},
        {bad_addr, "line 27: '999.1.1.1' is not an IPv4 address"},
        {bad_route, "line 27: '10.0.0.0' is not ADDRESS/LEN"},
        {good + "route x\n", "line 28: text after 'end'"},
        {"shunt-undo 1\nifname x\nend\n", "the undo log has no 'kind' line"},
    };
    for (const auto& c : cases) {
        auto r = UndoLog::parse(c.text);
        ASSERT_FALSE(r.ok()) << c.error;
        EXPECT_EQ(r.error().message, c.error);
    }
}

TEST(UndoLog, WriteReadListRemove) {
    TempDir dir;
    const std::string path = kernel_stack_log_path(dir.path(), "eth1", 8193, 7);
    UndoLog log = full_log();
    log.created.clear();
    ASSERT_TRUE(write_undo_log(path, log).ok());
    auto back = read_undo_log(path);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_FALSE(back->created.empty());  // stamped at write
    EXPECT_EQ(back->addresses, log.addresses);
    // A leftover temp file of an interrupted write is not a log; a truncated log is an error.
    std::ofstream(path + ".tmp.4242") << "shunt-undo 1\n";
    std::ofstream(kernel_stack_log_path(dir.path(), "eth2", 8193, 8))
        << "shunt-undo 1\nkind kernel-stack\n";
    std::vector<std::string> errors;
    auto logs = list_undo_logs(dir.path(), "kernel-stack", &errors);
    ASSERT_EQ(logs.size(), 1u);
    EXPECT_EQ(logs[0].first, path);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("eth2.n8193.i8.undo: the undo log is truncated"), std::string::npos)
        << errors[0];
    ASSERT_TRUE(remove_file_durable(path).ok());
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(remove_file_durable(path).ok());  // already gone is fine
}

TEST(AtomicWrite, ReplacesWholeAndLeavesNoTempFile) {
    TempDir dir;
    const std::string path = dir.path() + "/sub/dir/file";
    ASSERT_TRUE(write_file_atomic(path, "first\n").ok());
    EXPECT_EQ(slurp(path), "first\n");
    ASSERT_TRUE(write_file_atomic(path, "second\n").ok());
    EXPECT_EQ(slurp(path), "second\n");
    size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path() + "/sub/dir"))
        ++entries;
    EXPECT_EQ(entries, 1u);
    EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
}

TEST(AtomicWrite, FailsCleanlyAndKeepsTheOldContent) {
    TempDir dir;
    const std::string blocker = dir.path() + "/not-a-dir";
    std::ofstream(blocker) << "x";
    auto s = write_file_atomic(blocker + "/file", "data");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("not-a-dir"), std::string::npos) << s.error().message;
    // A directory where the file should be: rename fails, the temp file is cleaned up.
    const std::string path = dir.path() + "/target";
    fs::create_directory(path);
    fs::create_directory(path + "/keep");
    EXPECT_FALSE(write_file_atomic(path, "data").ok());
    EXPECT_TRUE(fs::is_directory(path + "/keep"));
    for (const auto& e : fs::directory_iterator(dir.path())) {
        EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
    }
}

// A reader racing a writer sees one whole version or the other, never a torn mix.
TEST(AtomicWrite, ReadersNeverSeeAPartialFile) {
    TempDir dir;
    const std::string path = dir.path() + "/log";
    const std::string a(64 * 1024, 'a');
    const std::string b(96 * 1024, 'b');
    ASSERT_TRUE(write_file_atomic(path, a).ok());
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        for (int i = 0; i < 100; ++i) {
            if (!write_file_atomic(path, i % 2 ? a : b).ok()) ::_exit(1);
        }
        ::_exit(0);
    }
    int torn = 0;
    for (int i = 0; i < 200; ++i) {
        const std::string got = slurp(path);
        if (got != a && got != b) ++torn;
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(torn, 0);
}

TEST(StateDir, OverrideThenEnvironmentThenDefault) {
    ::unsetenv("SHUNT_STATE_DIR");
    EXPECT_EQ(state_dir(), "/run/shunt");
    ::setenv("SHUNT_STATE_DIR", "/tmp/elsewhere", 1);
    EXPECT_EQ(state_dir(), "/tmp/elsewhere");
    EXPECT_EQ(state_dir("/given"), "/given");
    ::unsetenv("SHUNT_STATE_DIR");
    EXPECT_EQ(kernel_stack_log_path("/s", "eth1", 4097, 3), "/s/kernel-stack/eth1.n4097.i3.undo");
    EXPECT_EQ(bind_log_path("/s", "0000:03:00.0"), "/s/bind/0000:03:00.0.undo");
}

TEST(StateLock, SecondHolderWaitsForTheFirst) {
    TempDir dir;
    int go[2], done[2];
    ASSERT_EQ(::pipe(go), 0);
    ASSERT_EQ(::pipe(done), 0);
    // Fork before locking: a child that inherited the parent's lock descriptor would share
    // its lock instead of competing for it.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        char c = 0;
        if (::read(go[0], &c, 1) != 1) ::_exit(1);
        auto second = StateLock::acquire(dir.path());  // blocks until the parent lets go
        c = second.ok() ? 'y' : 'n';
        if (::write(done[1], &c, 1) != 1) ::_exit(1);
        ::_exit(0);
    }
    ::close(done[1]);
    std::optional<StateLock> first;
    {
        auto lock = StateLock::acquire(dir.path());
        ASSERT_TRUE(lock.ok()) << lock.error().message;
        first.emplace(std::move(lock).value());
    }
    ASSERT_EQ(::write(go[1], "g", 1), 1);
    pollfd p{done[0], POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 200), 0);  // still waiting for the lock
    first.reset();
    char c = 0;
    EXPECT_EQ(::read(done[0], &c, 1), 1);
    EXPECT_EQ(c, 'y');
    ::waitpid(child, nullptr, 0);
    for (int fd : {go[0], go[1], done[0]}) ::close(fd);
}

}  // namespace
}  // namespace shunt::ctl
