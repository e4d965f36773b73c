#include "tools/shuntctl/control_client.hpp"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace shunt::cli {

namespace {
constexpr const char* kRunDir = "/run/shunt";
}

Result<std::string> find_control_socket(const std::string& path) {
    if (!path.empty()) return path;
    std::vector<std::string> found;
    if (DIR* d = ::opendir(kRunDir)) {
        while (const dirent* e = ::readdir(d)) {
            const std::string name = e->d_name;
            if (name.size() > 5 && name.ends_with(".sock")) {
                found.push_back(std::string(kRunDir) + "/" + name);
            }
        }
        ::closedir(d);
    }
    if (found.size() == 1) return found[0];
    if (found.empty()) {
        return make_error("no control socket under {} (is shuntd running? --control PATH)",
                          kRunDir);
    }
    return make_error("several control sockets under {} ({}): choose one with --control PATH",
                      kRunDir, fmt::join(found, ", "));
}

Result<ControlClient> ControlClient::connect(const std::string& path, int timeout_ms) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(a.sun_path)) {
        return make_error("control socket path '{}' is too long", path);
    }
    std::memcpy(a.sun_path, path.data(), path.size());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return make_error("socket: {}", std::strerror(errno));
    const timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
        return make_error("cannot connect to {}: {} (is shuntd running with this --control?)", path,
                          std::strerror(errno));
    }
    return ControlClient(std::move(fd));
}

Result<control::Json> ControlClient::call(const std::string& cmd, const control::Json& args) {
    const int64_t id = next_id_++;
    control::Json req{{"v", control::kProtocolVersion}, {"id", id}, {"cmd", cmd}, {"args", args}};
    const std::string line = req.dump() + "\n";
    size_t sent = 0;
    while (sent < line.size()) {
        const ssize_t n = ::send(fd_.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error("{}: sending the request: {}", cmd, std::strerror(errno));
        }
        sent += static_cast<size_t>(n);
    }
    std::array<char, 64 * 1024> buf;
    for (;;) {
        auto next = in_.next();
        if (std::holds_alternative<control::LineBuffer::Overflow>(next)) {
            return make_error("{}: reply longer than {} bytes", cmd, kMaxReply);
        }
        if (auto* text = std::get_if<std::string>(&next)) {
            control::Json reply = control::Json::parse(*text, nullptr, false);
            if (reply.is_discarded() || !reply.is_object()) {
                return make_error("{}: the daemon's reply is not a JSON object", cmd);
            }
            if (reply.value("id", control::Json()) != control::Json(id)) {
                // A reply without our id: the daemon refused the connection or the line
                // (an error with a null id) — report it, whatever it says.
                if (!reply.contains("error")) continue;
            }
            if (reply.value("ok", false)) {
                return reply.contains("result") ? reply["result"] : control::Json::object();
            }
            const control::Json err = reply.value("error", control::Json::object());
            return make_error("{}: {}: {}", cmd, err.value("code", std::string("error")),
                              err.value("message", std::string("(no message)")));
        }
        const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
        if (n == 0) return make_error("{}: the daemon closed the connection", cmd);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return make_error("{}: no reply within the timeout", cmd);
            return make_error("{}: {}", cmd, std::strerror(errno));
        }
        in_.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
}

}  // namespace shunt::cli
