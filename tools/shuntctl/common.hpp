// What every shuntctl command shares: the exit codes, one-line errors, the state directory,
// the --json switch and the hidden crash hook the netns tests use.
#pragma once

#include "base/result.hpp"
#include "tools/shuntctl/json.hpp"

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>

namespace shunt::cli {

// Documented in --help and docs/host-control.md.
enum Exit : int {
    kOk = 0,
    kFailure = 1,  // the command ran and failed (the message says what and why)
    kUsage = 2,    // bad command line
    kRefused = 3,  // refused for safety; --force overrides
};

struct Context {
    std::string state_dir;  // --state-dir, else $SHUNT_STATE_DIR, else /run/shunt
    int rc = kOk;           // the exit code the chosen command leaves
};

// One line on stderr ("shuntctl: MESSAGE"), and CODE to return.
int fail(int code, std::string_view message);
// Prints J followed by a newline.
void print_json(const Json& j);
// The after_step hook: when $SHUNT_CTL_CRASH_AFTER names STEP, shuntctl SIGKILLs itself right
// after that step (a test hook to prove the undo log survives a crash mid-change).
void crash_hook(std::string_view step);

void add_status(CLI::App& app, Context& ctx);
void add_show(CLI::App& app, Context& ctx);
void add_bind(CLI::App& app, Context& ctx);
void add_kernel_stack(CLI::App& app, Context& ctx);
void add_channels(CLI::App& app, Context& ctx);
void add_rss(CLI::App& app, Context& ctx);
void add_steer(CLI::App& app, Context& ctx);
void add_hugepages(CLI::App& app, Context& ctx);
void add_doctor(CLI::App& app, Context& ctx);
void add_profile(CLI::App& app, Context& ctx);
void add_sriov(CLI::App& app, Context& ctx);
// Over a running shuntd's control socket (docs/control.md).
void add_stats(CLI::App& app, Context& ctx);
void add_capture(CLI::App& app, Context& ctx);

}  // namespace shunt::cli
