// "Every CLI flag has a config key" (issue 15): walks shuntd's CLI11 options
// (tools/shuntd_options.hpp) and checks that each one is a key of the config file -- the file
// accepts it -- and is listed in docs/service.md, unless it is on the short documented list of
// options that are not keys (kShuntdNotConfigKeys, besides --help). A new option with only a
// short name, or a long one nobody documented, fails here.
#include "tools/shuntd_options.hpp"
#include "tools/config_file.hpp"

#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace shunt::tools {
namespace {

bool excluded(const std::string& name) {
    return std::find(kShuntdNotConfigKeys.begin(), kShuntdNotConfigKeys.end(), name) !=
           kShuntdNotConfigKeys.end();
}

std::string read_doc() {
    std::ifstream in(SHUNT_SERVICE_DOC);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// What is wrong with APP's options, one line each (empty: every option is a key, documented).
// `add` adds the options under test to a fresh App (each key is tried on its own App, so the
// file sets nothing the command line or another key already set).
template <typename Add>
std::vector<std::string> problems(Add add, const std::string& doc) {
    std::vector<std::string> out;
    CLI::App app;
    ShuntdOptions o;
    add(app, o);
    const std::vector<std::string> keys = config_keys(app, kShuntdNotConfigKeys);
    for (const CLI::Option* opt : app.get_options()) {
        if (opt == app.get_help_ptr() || opt == app.get_help_all_ptr()) continue;
        const auto& lnames = opt->get_lnames();
        if (lnames.empty()) {
            out.push_back(opt->get_name() + ": no long name, so no config-file key");
            continue;
        }
        for (const std::string& name : lnames) {
            if (excluded(name)) continue;
            if (std::find(keys.begin(), keys.end(), name) == keys.end()) {
                out.push_back("--" + name + ": not a config key");
                continue;
            }
            // The file takes it: any error but "unknown key" (a value its check refuses) is fine.
            CLI::App fresh;
            ShuntdOptions fo;
            add(fresh, fo);
            ConfigFile file;
            const auto err = file.apply(fresh, "t.conf", name + " = 1\n", kShuntdNotConfigKeys);
            if (err && err->what.find("unknown key") != std::string::npos) {
                out.push_back("--" + name + ": the config file refuses it: " + err->message());
            }
            if (doc.find("`" + name + "`") == std::string::npos) {
                out.push_back("--" + name + ": docs/service.md does not list the key `" + name +
                              "`");
            }
        }
    }
    return out;
}

TEST(ShuntdOptions, EveryOptionIsADocumentedConfigKey) {
    const std::string doc = read_doc();
    ASSERT_FALSE(doc.empty()) << "cannot read " << SHUNT_SERVICE_DOC;
    const auto p =
        problems([](CLI::App& app, ShuntdOptions& o) { add_shuntd_options(app, o); }, doc);
    for (const auto& line : p) ADD_FAILURE() << line;
    // The walk saw the options (a broken walk would pass vacuously).
    CLI::App app;
    ShuntdOptions o;
    add_shuntd_options(app, o);
    EXPECT_GT(config_keys(app, kShuntdNotConfigKeys).size(), 25U);
}

TEST(ShuntdOptions, TheExclusionListIsShortRealAndDocumented) {
    EXPECT_LE(kShuntdNotConfigKeys.size(), 2U);
    CLI::App app;
    ShuntdOptions o;
    add_shuntd_options(app, o);
    const std::string doc = read_doc();
    for (const auto& name : kShuntdNotConfigKeys) {
        EXPECT_NE(app.get_option_no_throw("--" + name), nullptr) << name << " is not an option";
        EXPECT_NE(doc.find("`--" + name + "`"), std::string::npos)
            << "docs/service.md does not say --" << name << " is not a key";
    }
}

// The check above can fail: an option with only a short name, and a long option missing from
// the docs, are each reported.
TEST(ShuntdOptions, AnOptionWithoutAKeyOrDocsIsReported) {
    const std::string doc = read_doc();
    bool x = false;
    std::string y;
    const auto p = problems(
        [&](CLI::App& app, ShuntdOptions& o) {
            add_shuntd_options(app, o);
            app.add_flag("-x", x, "short only");
            app.add_option("--not-in-the-docs", y, "undocumented");
        },
        doc);
    ASSERT_EQ(p.size(), 2U);
    EXPECT_NE(p[0].find("-x: no long name"), std::string::npos) << p[0];
    EXPECT_NE(p[1].find("--not-in-the-docs: docs/service.md does not list"), std::string::npos)
        << p[1];
}

}  // namespace
}  // namespace shunt::tools
