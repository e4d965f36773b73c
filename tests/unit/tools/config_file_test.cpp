// The config file parser and its application to a CLI11 App (tools/config_file.hpp): every
// error path names FILE:LINE, keys come from the App, the command line wins over the file.
#include "tools/config_file.hpp"

#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace shunt::tools {
namespace {

std::string parse_error(std::string_view text) {
    ConfigParse p = parse_config(text, "a.conf");
    return p.error ? p.error->message() : "no error";
}

TEST(ConfigParse, EntriesWithLinesCommentsAndQuotes) {
    ConfigParse p = parse_config(
        "# a comment\n\n; another\n  nic = tap:x  \nip=10.0.0.2/24\r\nstats-file = \"/run/a b\"\n"
        "gateway = \"\"\n",
        "a.conf");
    ASSERT_FALSE(p.error) << p.error->message();
    ASSERT_EQ(p.entries.size(), 4u);
    EXPECT_EQ(p.entries[0].key, "nic");
    EXPECT_EQ(p.entries[0].value, "tap:x");
    EXPECT_EQ(p.entries[0].line, 4u);
    EXPECT_EQ(p.entries[1].key, "ip");
    EXPECT_EQ(p.entries[1].value, "10.0.0.2/24");
    EXPECT_EQ(p.entries[1].line, 5u);
    EXPECT_EQ(p.entries[2].value, "/run/a b");
    EXPECT_EQ(p.entries[3].value, "");
}

TEST(ConfigParse, LastLineWithoutNewline) {
    ConfigParse p = parse_config("mtu = 1400", "a.conf");
    ASSERT_FALSE(p.error);
    ASSERT_EQ(p.entries.size(), 1u);
    EXPECT_EQ(p.entries[0].line, 1u);
}

TEST(ConfigParse, EveryErrorNamesFileAndLine) {
    EXPECT_EQ(parse_error("nic = a\njunk\n"), "a.conf:2: expected KEY = VALUE");
    EXPECT_EQ(parse_error("\n[shuntd]\n"),
              "a.conf:2: sections are not supported: one file configures one daemon");
    EXPECT_EQ(parse_error("Nic = a\n"),
              "a.conf:1: bad key 'Nic': expected a long option name without '--' (lower case, "
              "digits, '-')");
    EXPECT_EQ(parse_error("--nic = a\n"),
              "a.conf:1: bad key '--nic': expected a long option name without '--' (lower case, "
              "digits, '-')");
    EXPECT_EQ(parse_error(" = a\n"),
              "a.conf:1: bad key '': expected a long option name without '--' (lower case, "
              "digits, '-')");
    EXPECT_EQ(parse_error("mtu =\n"),
              "a.conf:1: 'mtu': empty value (write \"\" for an empty string)");
    EXPECT_EQ(parse_error("a = \"x\n"), "a.conf:1: 'a': unterminated quoted value");
    EXPECT_EQ(parse_error("a = \"\n"), "a.conf:1: 'a': unterminated quoted value");
    EXPECT_EQ(parse_error("a = \"x\"y\"\n"), "a.conf:1: 'a': a quoted value may not hold '\"'");
    EXPECT_EQ(parse_error("mtu = 1\n# c\nmtu = 2\n"),
              "a.conf:3: duplicate key 'mtu' (first on line 1)");
    EXPECT_EQ(parse_error(std::string_view("a = 1\nb = x\0y\n", 12)), "a.conf:2: NUL byte in line");
}

TEST(ConfigParse, ErrorLeavesNoEntries) {
    ConfigParse p = parse_config("a = 1\nbad\n", "a.conf");
    ASSERT_TRUE(p.error);
    EXPECT_TRUE(p.entries.empty());
}

struct TestApp {
    CLI::App app{"test"};
    std::string nic;
    uint16_t mtu = 1500;
    std::string level = "info";
    bool quiet = false;
    std::string config;
    TestApp() {
        app.add_option("--nic", nic);
        app.add_option("--mtu", mtu)->check(CLI::Range(576, 1500));
        app.add_option("--log-level", level)->check(CLI::IsMember({"info", "debug"}));
        app.add_flag("--quiet", quiet);
        app.add_option("--config", config);
    }
    void parse(std::vector<std::string> args) {
        std::reverse(args.begin(), args.end());  // CLI11 takes them last first
        app.parse(args);
    }
};

TEST(ConfigKeys, AreTheLongOptionsWithoutHelpOrExcluded) {
    TestApp t;
    EXPECT_EQ(config_keys(t.app, {"config"}),
              (std::vector<std::string>{"nic", "mtu", "log-level", "quiet"}));
}

TEST(ConfigApply, SetsValuesAndTheCommandLineWins) {
    TestApp t;
    t.parse({"--mtu", "1400"});
    ConfigFile f;
    auto err = f.apply(t.app, "a.conf",
                       "nic = tap:a\nmtu = 1000\nquiet = true\nlog-level = debug\n", {"config"});
    ASSERT_FALSE(err) << err->message();
    EXPECT_EQ(t.nic, "tap:a");
    EXPECT_EQ(t.mtu, 1400);  // from the command line
    EXPECT_TRUE(t.quiet);
    EXPECT_EQ(t.level, "debug");
    EXPECT_EQ(f.source_of("nic"), "a.conf:1");
    EXPECT_EQ(f.source_of("mtu"), std::nullopt);  // the command line's
    EXPECT_EQ(f.locate("--nic 'tap:a': bad"), "a.conf:1: --nic 'tap:a': bad");
    EXPECT_EQ(f.locate("--mtu 1400: bad"), "--mtu 1400: bad");
    EXPECT_EQ(f.locate("other"), "other");
}

TEST(ConfigApply, FlagFalse) {
    TestApp t;
    t.parse({});
    ConfigFile f;
    ASSERT_FALSE(f.apply(t.app, "a.conf", "quiet = false\n", {"config"}));
    EXPECT_FALSE(t.quiet);
}

TEST(ConfigApply, UnknownKeyBadValueAndExcludedKeyNameTheLine) {
    auto apply = [](std::string_view text) {
        TestApp t;
        t.parse({});
        ConfigFile f;
        auto err = f.apply(t.app, "/etc/shunt/x.conf", text, {"config"});
        return err ? err->message() : std::string("no error");
    };
    EXPECT_EQ(apply("nic = a\nbogus = 1\n"),
              "/etc/shunt/x.conf:2: unknown key 'bogus' (keys are the long options of --help "
              "without '--')");
    EXPECT_EQ(apply("config = other.conf\n").rfind("/etc/shunt/x.conf:1: unknown key 'config'", 0),
              0u);
    EXPECT_EQ(apply("help = true\n").rfind("/etc/shunt/x.conf:1: unknown key 'help'", 0), 0u);
    const std::string range = apply("\nmtu = 99\n");
    EXPECT_EQ(range.rfind("/etc/shunt/x.conf:2: bad value '99' for 'mtu': ", 0), 0u) << range;
    const std::string conv = apply("mtu = lots\n");
    EXPECT_EQ(conv.rfind("/etc/shunt/x.conf:1: bad value 'lots' for 'mtu': ", 0), 0u) << conv;
    const std::string member = apply("log-level = loud\n");
    EXPECT_EQ(member.rfind("/etc/shunt/x.conf:1: bad value 'loud' for 'log-level': ", 0), 0u)
        << member;
    const std::string flag = apply("quiet = maybe\n");
    EXPECT_EQ(flag.rfind("/etc/shunt/x.conf:1: bad value 'maybe' for 'quiet': ", 0), 0u) << flag;
    // A parse error wins over the keys' checks, and is reported with its line.
    EXPECT_EQ(apply("bogus = 1\nnic\n"), "/etc/shunt/x.conf:2: expected KEY = VALUE");
}

TEST(ConfigLoad, UnreadableFileIsOneLine) {
    TestApp t;
    ConfigFile f;
    auto err = f.load(t.app, "/nonexistent/shunt.conf", {"config"});
    ASSERT_TRUE(err);
    EXPECT_EQ(err->message(), "/nonexistent/shunt.conf: cannot read: No such file or directory");
}

}  // namespace
}  // namespace shunt::tools
