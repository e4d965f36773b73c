// The commands shuntd answers on its control socket (docs/control.md): hello, stats,
// capture-start / capture-read / capture-stop; apps, connections and shutdown are reserved
// (not_implemented) until the application API (issue 13) brings what they report.
#pragma once

#include "tools/control/capture.hpp"
#include "tools/control/server.hpp"

#include <functional>
#include <memory>
#include <string>

namespace shunt::control {

struct DaemonHooks {
    std::string daemon = "shuntd";
    std::string nic;  // the NIC spec, for hello
    // The stats reply's body (the stats file's object plus per-shard sections).
    std::function<Json()> stats;
    // Installs (or, with null, removes) the capture tap on every shard's Interface.
    std::function<void(FrameTap*)> set_tap;
};

class ControlCommands final : public ControlHandler {
  public:
    // Frame data per capture-read reply, at most (hex doubles it on the wire).
    static constexpr size_t kMaxReadBytes = 512 * 1024;

    explicit ControlCommands(DaemonHooks hooks) : hooks_(std::move(hooks)) {}
    ~ControlCommands() override;
    // The server whose counters the stats reply includes (optional).
    void set_server(const ControlServer* server) { server_ = server; }

    std::string handle(const Request& request, uint64_t client) override;
    void client_gone(uint64_t client) override;

    bool capturing() const noexcept { return capture_ != nullptr; }

  private:
    std::string capture_start(const Request& r, uint64_t client);
    std::string capture_read(const Request& r, uint64_t client);
    std::string capture_stop(const Request& r, uint64_t client);
    Json capture_counters() const;
    void stop_capture();

    DaemonHooks hooks_;
    const ControlServer* server_ = nullptr;
    std::unique_ptr<Capture> capture_;
    uint64_t capture_owner_ = 0;
};

}  // namespace shunt::control
