// shuntctl's side of shuntd's control socket (docs/control.md): connect, send a request,
// read its reply (bounded in size and time), hand back the result or the daemon's error.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "tools/control/protocol.hpp"

#include <string>

namespace shunt::cli {

// The socket to use: PATH when given; else the only *.sock under /run/shunt (an error names
// them when there are several, or says none runs).
Result<std::string> find_control_socket(const std::string& path);

class ControlClient {
  public:
    // Replies longer than this are refused (capture-read replies are about 1 MiB at most).
    static constexpr size_t kMaxReply = 16u << 20;

    static Result<ControlClient> connect(const std::string& path, int timeout_ms = 5000);
    // Sends {"v":1,"id":N,"cmd":CMD,"args":ARGS}; the reply's result, or an error
    // "CMD: CODE: MESSAGE" when the daemon refused or the reply is bad.
    Result<control::Json> call(const std::string& cmd,
                               const control::Json& args = control::Json::object());

  private:
    explicit ControlClient(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
    control::LineBuffer in_{kMaxReply};
    int64_t next_id_ = 1;
};

}  // namespace shunt::cli
