#include "tools/control/commands.hpp"

#include "base/log.hpp"

#include <unistd.h>

#include <array>

#ifndef SHUNT_VERSION
#define SHUNT_VERSION "unknown"
#endif

namespace shunt::control {

namespace {

constexpr std::array<const char*, 8> kCommands = {"hello",        "stats",        "capture-start",
                                                  "capture-read", "capture-stop", "apps",
                                                  "connections",  "shutdown"};

template <typename T>
bool take(const std::variant<std::optional<T>, ArgError>& v, std::optional<T>& out,
          std::string& error) {
    if (auto* e = std::get_if<ArgError>(&v)) {
        error = e->message;
        return false;
    }
    out = std::get<std::optional<T>>(v);
    return true;
}

}  // namespace

ControlCommands::~ControlCommands() {
    stop_capture();
}

std::string ControlCommands::handle(const Request& r, uint64_t client) {
    if (r.cmd == "hello") {
        Json commands = Json::array();
        for (const char* c : kCommands) commands.push_back(c);
        return reply_ok(r.id, Json{{"daemon", hooks_.daemon},
                                   {"version", SHUNT_VERSION},
                                   {"protocol", kProtocolVersion},
                                   {"protocol_minor", kProtocolMinor},
                                   {"pid", ::getpid()},
                                   {"nic", hooks_.nic},
                                   {"commands", std::move(commands)}});
    }
    if (r.cmd == "stats") {
        Json j = hooks_.stats ? hooks_.stats() : Json::object();
        j["capture"] = capture_counters();
        if (server_ != nullptr) j["control"] = server_->counters_json();
        return reply_ok(r.id, std::move(j));
    }
    if (r.cmd == "capture-start") return capture_start(r, client);
    if (r.cmd == "capture-read") return capture_read(r, client);
    if (r.cmd == "capture-stop") return capture_stop(r, client);
    if (r.cmd == "apps" || r.cmd == "connections" || r.cmd == "shutdown") {
        return reply_error(r.id, ErrorCode::not_implemented,
                           r.cmd + ": reserved for the application API (not in this daemon yet)");
    }
    return reply_error(r.id, ErrorCode::unknown_command, "unknown command '" + r.cmd + "'");
}

void ControlCommands::client_gone(uint64_t client) {
    if (capture_ && capture_owner_ == client) {
        log::info("control: client {} left; its capture stops", client);
        stop_capture();
    }
}

void ControlCommands::stop_capture() {
    if (!capture_) return;
    if (hooks_.set_tap) hooks_.set_tap(nullptr);
    capture_.reset();
    capture_owner_ = 0;
}

Json ControlCommands::capture_counters() const {
    if (!capture_) return Json{{"running", false}};
    const CaptureCounters c = capture_->counters();
    return Json{{"running", true},
                {"filter", capture_->options().filter},
                {"seen", c.seen},
                {"matched", c.matched},
                {"captured", c.captured},
                {"dropped", c.dropped},
                {"read", c.read},
                {"queued", capture_->queued()},
                {"complete", capture_->complete()}};
}

std::string ControlCommands::capture_start(const Request& r, uint64_t client) {
    if (capture_) {
        return reply_error(r.id, ErrorCode::busy,
                           capture_owner_ == client ? "this client's capture already runs"
                                                    : "another client's capture runs");
    }
    CaptureOptions o;
    std::optional<std::string> filter;
    std::optional<int64_t> count, snaplen, ring;
    std::string err;
    if (!take(string_arg(r.args, "filter", 4096), filter, err) ||
        !take(int_arg(r.args, "count", 0, 1'000'000'000), count, err) ||
        !take(int_arg(r.args, "snaplen", 64, PacketBuf::kDataRoom), snaplen, err) ||
        !take(int_arg(r.args, "ring_frames", 1, 65536), ring, err)) {
        return reply_error(r.id, ErrorCode::bad_args, err);
    }
    if (filter) o.filter = *filter;
    if (count) o.max_frames = static_cast<uint64_t>(*count);
    if (snaplen) o.snaplen = static_cast<uint32_t>(*snaplen);
    if (ring) o.ring_frames = static_cast<uint32_t>(*ring);
    auto c = Capture::start(o);
    if (!c) return reply_error(r.id, ErrorCode::bad_args, c.error().message);
    capture_ = std::move(c.value());
    capture_owner_ = client;
    if (hooks_.set_tap) hooks_.set_tap(capture_.get());
    log::info("control: client {} started a capture (filter '{}', count {}, snaplen {})", client,
              o.filter, o.max_frames, o.snaplen);
    return reply_ok(r.id, Json{{"filter", o.filter},
                               {"count", o.max_frames},
                               {"snaplen", o.snaplen},
                               {"ring_frames", o.ring_frames},
                               {"link_type", "EN10MB"}});
}

std::string ControlCommands::capture_read(const Request& r, uint64_t client) {
    if (!capture_ || capture_owner_ != client) {
        return reply_error(r.id, capture_ ? ErrorCode::busy : ErrorCode::not_running,
                           capture_ ? "the capture belongs to another client"
                                    : "no capture runs (capture-start first)");
    }
    std::optional<int64_t> max;
    std::string err;
    if (!take(int_arg(r.args, "max_frames", 1, 4096), max, err)) {
        return reply_error(r.id, ErrorCode::bad_args, err);
    }
    auto frames = capture_->read(static_cast<size_t>(max.value_or(256)), kMaxReadBytes);
    Json list = Json::array();
    for (const auto& f : frames) {
        list.push_back(Json{
            {"t_us", f.wall_us},
            {"dir", f.dir == TapDirection::rx ? "rx" : "tx"},
            {"len", f.len},
            {"data", to_hex(reinterpret_cast<const uint8_t*>(f.bytes.data()), f.bytes.size())}});
    }
    Json j{{"frames", std::move(list)}};
    j.update(capture_counters());
    return reply_ok(r.id, std::move(j));
}

std::string ControlCommands::capture_stop(const Request& r, uint64_t client) {
    if (!capture_ || capture_owner_ != client) {
        return reply_error(r.id, capture_ ? ErrorCode::busy : ErrorCode::not_running,
                           capture_ ? "the capture belongs to another client" : "no capture runs");
    }
    Json j = capture_counters();
    j["running"] = false;
    stop_capture();
    return reply_ok(r.id, std::move(j));
}

}  // namespace shunt::control
