#include "posix/real_calls.hpp"

#include <dlfcn.h>

#include <atomic>

namespace shunt::posix {
namespace {

template <typename F>
void resolve(F& f, const char* name) noexcept {
    f = reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

RealCalls load() noexcept {
    RealCalls r{};
    resolve(r.socket, "socket");
    resolve(r.bind, "bind");
    resolve(r.listen, "listen");
    resolve(r.accept, "accept");
    resolve(r.accept4, "accept4");
    resolve(r.connect, "connect");
    resolve(r.read, "read");
    resolve(r.write, "write");
    resolve(r.readv, "readv");
    resolve(r.writev, "writev");
    resolve(r.recv, "recv");
    resolve(r.send, "send");
    resolve(r.recvfrom, "recvfrom");
    resolve(r.sendto, "sendto");
    resolve(r.recvmsg, "recvmsg");
    resolve(r.sendmsg, "sendmsg");
    resolve(r.shutdown, "shutdown");
    resolve(r.close, "close");
    resolve(r.getsockopt, "getsockopt");
    resolve(r.setsockopt, "setsockopt");
    resolve(r.getsockname, "getsockname");
    resolve(r.getpeername, "getpeername");
    resolve(r.fcntl, "fcntl");
    resolve(r.ioctl, "ioctl");
    resolve(r.poll, "poll");
    resolve(r.ppoll, "ppoll");
    resolve(r.select, "select");
    resolve(r.pselect, "pselect");
    resolve(r.epoll_create, "epoll_create");
    resolve(r.epoll_create1, "epoll_create1");
    resolve(r.epoll_ctl, "epoll_ctl");
    resolve(r.epoll_wait, "epoll_wait");
    resolve(r.epoll_pwait, "epoll_pwait");
    resolve(r.dup, "dup");
    resolve(r.dup2, "dup2");
    resolve(r.dup3, "dup3");
    resolve(r.sendfile, "sendfile");
    resolve(r.fork, "fork");
    return r;
}

}  // namespace

const RealCalls& real() noexcept {
    // A function-local static: thread-safe initialisation, and no allocation (dlsym with
    // RTLD_NEXT does not call back into the interposed socket calls).
    static const RealCalls calls = load();
    return calls;
}

}  // namespace shunt::posix
