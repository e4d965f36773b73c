// shunt::Runtime::open (the in-process deployment from a RuntimeConfig) and the C API, which
// is the C++ API behind opaque pointers.
#include "lib/attached.hpp"
#include "lib/inprocess.hpp"
#include "lib/nic_open.hpp"

#include <shunt/shunt.h>
#include <shunt/shunt.hpp>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace shunt {

int parse_ipv4(const char* text, uint32_t& ip) noexcept {
    if (text == nullptr) return -EINVAL;
    auto a = wire::Ipv4Addr::parse(text);
    if (!a) return -EINVAL;
    ip = a->value;
    return 0;
}

namespace {

Result<lib::InProcessConfig> make_config(const RuntimeConfig& c) {
    lib::InProcessConfig cfg;
    auto cidr = wire::Ipv4Cidr::parse(c.ip);
    if (!cidr || cidr->prefix_len == 0 || cidr->prefix_len > 30) {
        return make_error("ip '{}': expected A.B.C.D/LEN with LEN 1-30", c.ip);
    }
    cfg.iface.address = *cidr;
    if (!c.gateway.empty()) {
        auto gw = wire::Ipv4Addr::parse(c.gateway);
        if (!gw) return make_error("gateway '{}': expected A.B.C.D", c.gateway);
        cfg.iface.gateway = *gw;
    }
    if (c.pool_buffers < 256)
        return make_error("pool_buffers {}: expected at least 256", c.pool_buffers);
    if (c.mtu < 576 || c.mtu > 9000) return make_error("mtu {}: expected 576-9000", c.mtu);
    cfg.iface.mtu = c.mtu;
    cfg.tcp.max_connections = c.max_connections;
    auto keyed = Stack::random_secret(cfg.tcp);
    if (!keyed) return keyed.error();
    cfg.tcp = keyed.value();
    cfg.max_sockets = c.max_sockets;
    return cfg;
}

}  // namespace

std::string default_app_socket(std::string& error) {
    if (const char* env = std::getenv("SHUNT_APP_SOCKET"); env != nullptr && *env != 0) return env;
    std::string found;
    int n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/run/shunt", ec)) {
        if (e.path().extension() != ".apps" || !e.is_socket(ec)) continue;
        found = e.path().string();
        ++n;
    }
    if (n == 1) return found;
    error = n == 0 ? "no app socket: no /run/shunt/*.apps (is shuntd running?) and no "
                     "$SHUNT_APP_SOCKET"
                   : "more than one /run/shunt/*.apps: name the socket";
    return {};
}

std::unique_ptr<Runtime> Runtime::open(const RuntimeConfig& config, std::string& error) {
    if (!config.attach.empty()) {
        auto rt = lib::AttachedRuntime::attach(config.attach);
        if (!rt) {
            error = rt.error().message;
            return nullptr;
        }
        return std::move(rt).value();
    }
    auto cfg = make_config(config);
    if (!cfg) {
        error = cfg.error().message;
        return nullptr;
    }
    lib::NicSpecOptions nic_opts;
    nic_opts.mtu = config.mtu;
    if (!config.mac.empty()) {
        auto mac = MacAddr::parse(config.mac);
        if (!mac) {
            error = "mac '" + config.mac + "': expected aa:bb:cc:dd:ee:ff";
            return nullptr;
        }
        nic_opts.mac = *mac;
    }
    nic_opts.pci.allow_noiommu = config.allow_noiommu;
    nic_opts.pci.interrupts = config.interrupts;
    nic_opts.pool_buffers = config.pool_buffers;
    nic_opts.pci.pool_buffers = config.pool_buffers;
    auto nic = lib::open_nic_spec(config.nic, nic_opts);
    if (!nic) {
        error = nic.error().message;
        return nullptr;
    }
    cfg->iface.mac = (*nic)->mac();
    // Send queues may take half the pool: the rest is for received frames, among them the
    // ACKs that free send buffers (without it, full send queues can starve reception).
    cfg->tcp.max_send_buffers = (*nic)->tx_pool(0).capacity() / 2;
    auto rt = lib::InProcessRuntime::create(std::move(nic).value(), *cfg);
    if (!rt) {
        error = rt.error().message;
        return nullptr;
    }
    return std::move(rt).value();
}

}  // namespace shunt

// ---- C API ----

struct shunt_runtime {
    std::unique_ptr<shunt::Runtime> rt;
};

namespace {
thread_local std::string g_open_error;
}

shunt_runtime* shunt::lib::wrap_for_c(std::unique_ptr<Runtime> rt) noexcept {
    return new (std::nothrow) shunt_runtime{std::move(rt)};
}

extern "C" {

shunt_runtime* shunt_open(const shunt_config* c, const char** error) {
    if (c == nullptr || c->nic == nullptr || c->ip == nullptr) {
        g_open_error = "shunt_open: config, config->nic and config->ip are required";
        if (error != nullptr) *error = g_open_error.c_str();
        return nullptr;
    }
    shunt::RuntimeConfig cfg;
    cfg.nic = c->nic;
    cfg.ip = c->ip;
    if (c->gateway != nullptr) cfg.gateway = c->gateway;
    if (c->mac != nullptr) cfg.mac = c->mac;
    if (c->mtu != 0) cfg.mtu = c->mtu;
    cfg.allow_noiommu = c->allow_noiommu != 0;
    cfg.interrupts = c->interrupts != 0;
    if (c->max_sockets != 0) cfg.max_sockets = c->max_sockets;
    if (c->max_connections != 0) cfg.max_connections = c->max_connections;
    if (c->pool_buffers != 0) cfg.pool_buffers = c->pool_buffers;
    auto rt = shunt::Runtime::open(cfg, g_open_error);
    if (!rt) {
        if (error != nullptr) *error = g_open_error.c_str();
        return nullptr;
    }
    return shunt::lib::wrap_for_c(std::move(rt));
}

shunt_runtime* shunt_attach(const char* app_socket, const char** error) {
    shunt::RuntimeConfig cfg;
    if (app_socket != nullptr) {
        cfg.attach = app_socket;
    } else {
        cfg.attach = shunt::default_app_socket(g_open_error);
    }
    std::unique_ptr<shunt::Runtime> rt;
    if (!cfg.attach.empty()) rt = shunt::Runtime::open(cfg, g_open_error);
    if (!rt) {
        if (error != nullptr) *error = g_open_error.c_str();
        return nullptr;
    }
    return shunt::lib::wrap_for_c(std::move(rt));
}

const char* shunt_default_app_socket(const char** error) {
    thread_local std::string path;
    path = shunt::default_app_socket(g_open_error);
    if (path.empty()) {
        if (error != nullptr) *error = g_open_error.c_str();
        return nullptr;
    }
    return path.c_str();
}

void shunt_close_runtime(shunt_runtime* rt) {
    delete rt;
}

#define SHUNT_RT(rt) \
    if ((rt) == nullptr) return -EINVAL
int shunt_poll(shunt_runtime* rt) {
    SHUNT_RT(rt);
    return rt->rt->poll();
}
int shunt_wait(shunt_runtime* rt, shunt_event* events, int max, int timeout_ms) {
    SHUNT_RT(rt);
    if (events == nullptr || max <= 0) return -EINVAL;
    return rt->rt->wait({events, static_cast<size_t>(max)}, timeout_ms);
}
int shunt_event_fd(shunt_runtime* rt) {
    SHUNT_RT(rt);
    return rt->rt->event_fd();
}
int shunt_interest(shunt_runtime* rt, int sock, uint32_t events) {
    SHUNT_RT(rt);
    return rt->rt->interest(sock, events);
}
int shunt_listen(shunt_runtime* rt, uint16_t port, int backlog) {
    SHUNT_RT(rt);
    return rt->rt->listen(port, backlog);
}
int shunt_accept(shunt_runtime* rt, int listener, shunt_addr* peer) {
    SHUNT_RT(rt);
    return rt->rt->accept(listener, peer);
}
int shunt_connect(shunt_runtime* rt, shunt_addr remote, int* sock) {
    SHUNT_RT(rt);
    if (sock == nullptr) return -EINVAL;
    return rt->rt->connect(remote, *sock);
}
ssize_t shunt_send(shunt_runtime* rt, int sock, const void* data, size_t len) {
    SHUNT_RT(rt);
    if (data == nullptr && len > 0) return -EFAULT;
    return rt->rt->send(sock, data, len);
}
ssize_t shunt_recv(shunt_runtime* rt, int sock, void* out, size_t len) {
    SHUNT_RT(rt);
    if (out == nullptr && len > 0) return -EFAULT;
    return rt->rt->recv(sock, out, len);
}
int shunt_recv_zc(shunt_runtime* rt, int sock, shunt_iovec* iov, int max, int* token) {
    SHUNT_RT(rt);
    if (iov == nullptr || max <= 0 || token == nullptr) return -EINVAL;
    return rt->rt->recv_zc(sock, {iov, static_cast<size_t>(max)}, *token);
}
int shunt_release(shunt_runtime* rt, int token) {
    SHUNT_RT(rt);
    return rt->rt->release(token);
}
int shunt_buf_alloc(shunt_runtime* rt, shunt_buf* buf) {
    SHUNT_RT(rt);
    if (buf == nullptr) return -EINVAL;
    return rt->rt->buf_alloc(*buf);
}
int shunt_send_zc(shunt_runtime* rt, int sock, int buf, size_t len) {
    SHUNT_RT(rt);
    return rt->rt->send_zc(sock, buf, len);
}
int shunt_buf_free(shunt_runtime* rt, int buf) {
    SHUNT_RT(rt);
    return rt->rt->buf_free(buf);
}
int shunt_shutdown(shunt_runtime* rt, int sock, int how) {
    SHUNT_RT(rt);
    return rt->rt->shutdown(sock, how);
}
int shunt_close(shunt_runtime* rt, int sock) {
    SHUNT_RT(rt);
    return rt->rt->close(sock);
}
int shunt_setopt(shunt_runtime* rt, int sock, int opt, uint32_t value) {
    SHUNT_RT(rt);
    return rt->rt->setopt(sock, opt, value);
}
int shunt_set_congestion(shunt_runtime* rt, int sock, const char* name) {
    SHUNT_RT(rt);
    return rt->rt->set_congestion(sock, name);
}
int shunt_socket_error(shunt_runtime* rt, int sock) {
    SHUNT_RT(rt);
    return rt->rt->socket_error(sock);
}
int shunt_local_addr(shunt_runtime* rt, int sock, shunt_addr* addr) {
    SHUNT_RT(rt);
    if (addr == nullptr) return -EINVAL;
    return rt->rt->local_addr(sock, *addr);
}
int shunt_peer_addr(shunt_runtime* rt, int sock, shunt_addr* addr) {
    SHUNT_RT(rt);
    if (addr == nullptr) return -EINVAL;
    return rt->rt->peer_addr(sock, *addr);
}
int shunt_udp_bind(shunt_runtime* rt, uint16_t port) {
    SHUNT_RT(rt);
    return rt->rt->udp_bind(port);
}
ssize_t shunt_sendto(shunt_runtime* rt, int sock, const void* data, size_t len, shunt_addr to) {
    SHUNT_RT(rt);
    if (data == nullptr && len > 0) return -EFAULT;
    return rt->rt->sendto(sock, data, len, to);
}
ssize_t shunt_recvfrom(shunt_runtime* rt, int sock, void* out, size_t len, shunt_addr* from) {
    SHUNT_RT(rt);
    if (out == nullptr && len > 0) return -EFAULT;
    return rt->rt->recvfrom(sock, out, len, from);
}
int shunt_sendto_zc(shunt_runtime* rt, int sock, int buf, size_t len, shunt_addr to) {
    SHUNT_RT(rt);
    return rt->rt->sendto_zc(sock, buf, len, to);
}
int shunt_parse_ipv4(const char* text, uint32_t* ip) {
    if (ip == nullptr) return -EINVAL;
    return shunt::parse_ipv4(text, *ip);
}
#undef SHUNT_RT

}  // extern "C"
