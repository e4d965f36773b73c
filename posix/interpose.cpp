// The interposed libc socket calls (LD_PRELOAD; docs/posix.md). Each starts with one lock-free
// table lookup: a kernel fd goes straight to the real call (dlsym(RTLD_NEXT), resolved once),
// a shunt socket to the Layer, whose negated errno becomes errno here.
//
// Programs built with _FORTIFY_SOURCE (Debian's are) call the __*_chk variants of read, recv,
// recvfrom and poll, so those are interposed too; fcntl64 and sendfile64 are the names programs
// built with 64-bit file offsets call.
#include "posix/layer.hpp"
#include "posix/libc_result.hpp"
#include "posix/real_calls.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <dlfcn.h>

#include <cerrno>
#include <cstdarg>
#include <vector>

using shunt::posix::Layer;
using shunt::posix::real;

namespace {

template <typename T>
T ret(T r) noexcept {
    return shunt::posix::to_libc(r);
}

bool shunt_fd(int fd) noexcept {
    return Layer::find(fd) != nullptr;
}

// select(2) over poll: the sets become pollfds, the answer goes back into the sets.
int select_via_poll(int nfds, fd_set* r, fd_set* w, fd_set* e, const timespec* t,
                    const sigset_t* mask) noexcept {
    if (nfds < 0 || nfds > FD_SETSIZE) return ret(-EINVAL);
    std::vector<pollfd> p;
    for (int fd = 0; fd < nfds; ++fd) {
        short ev = 0;
        if (r != nullptr && FD_ISSET(fd, r)) ev |= POLLIN;
        if (w != nullptr && FD_ISSET(fd, w)) ev |= POLLOUT;
        if (e != nullptr && FD_ISSET(fd, e)) ev |= POLLPRI;
        if (ev != 0) p.push_back(pollfd{fd, ev, 0});
    }
    const int n = Layer::current()->poll(p.data(), p.size(), t, mask);
    if (n < 0) return ret(n);
    if (r != nullptr) FD_ZERO(r);
    if (w != nullptr) FD_ZERO(w);
    if (e != nullptr) FD_ZERO(e);
    int count = 0;
    for (const pollfd& q : p) {
        if ((q.revents & POLLNVAL) != 0) return ret(-EBADF);
        // As Linux's select: readable on POLLIN/HUP/ERR, writable on POLLOUT/ERR.
        if (r != nullptr && (q.events & POLLIN) != 0 &&
            (q.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            FD_SET(q.fd, r);
            ++count;
        }
        if (w != nullptr && (q.events & POLLOUT) != 0 && (q.revents & (POLLOUT | POLLERR)) != 0) {
            FD_SET(q.fd, w);
            ++count;
        }
        if (e != nullptr && (q.events & POLLPRI) != 0 && (q.revents & POLLPRI) != 0) {
            FD_SET(q.fd, e);
            ++count;
        }
    }
    return count;
}

bool any_shunt(int nfds, const fd_set* r, const fd_set* w, const fd_set* e) noexcept {
    if (Layer::current() == nullptr) return false;
    for (int fd = 0; fd < nfds && fd < FD_SETSIZE; ++fd) {
        const bool in = (r != nullptr && FD_ISSET(fd, r)) || (w != nullptr && FD_ISSET(fd, w)) ||
                        (e != nullptr && FD_ISSET(fd, e));
        if (in && shunt_fd(fd)) return true;
    }
    return false;
}

bool any_shunt(const pollfd* fds, nfds_t n) noexcept {
    if (Layer::current() == nullptr) return false;
    for (nfds_t i = 0; i < n; ++i) {
        if (shunt_fd(fds[i].fd)) return true;
    }
    return false;
}

// Inherited shunt sockets in a forked child: EBADF (docs/posix.md, fork).
bool child_refuses(int fd) noexcept {
    Layer* l = Layer::current();
    if (l != nullptr && l->forked_child() && l->table().get(fd) != nullptr) {
        l->log_fallback(fd, "call in a forked child", "inherited shunt socket: EBADF");
        return true;
    }
    return false;
}

#define SHUNT_OR_REAL(fd, real_call)     \
    if (!shunt_fd(fd)) return real_call; \
    if (child_refuses(fd)) return ret<decltype(real_call)>(-EBADF)

}  // namespace

#define EXPORT extern "C" __attribute__((visibility("default")))

EXPORT int socket(int domain, int type, int protocol) {
    Layer* l = Layer::get();
    if (l == nullptr) return real().socket(domain, type, protocol);
    return ret(l->socket(domain, type, protocol));
}

EXPORT int bind(int fd, const sockaddr* a, socklen_t n) {
    SHUNT_OR_REAL(fd, real().bind(fd, a, n));
    return ret(Layer::current()->bind(fd, a, n));
}

EXPORT int listen(int fd, int backlog) {
    SHUNT_OR_REAL(fd, real().listen(fd, backlog));
    return ret(Layer::current()->listen(fd, backlog));
}

EXPORT int accept(int fd, sockaddr* a, socklen_t* n) {
    SHUNT_OR_REAL(fd, real().accept(fd, a, n));
    return ret(Layer::current()->accept(fd, a, n, 0));
}

EXPORT int accept4(int fd, sockaddr* a, socklen_t* n, int flags) {
    SHUNT_OR_REAL(fd, real().accept4(fd, a, n, flags));
    if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0) return ret(-EINVAL);
    return ret(Layer::current()->accept(fd, a, n, flags));
}

EXPORT int connect(int fd, const sockaddr* a, socklen_t n) {
    SHUNT_OR_REAL(fd, real().connect(fd, a, n));
    return ret(Layer::current()->connect(fd, a, n));
}

EXPORT ssize_t read(int fd, void* p, size_t n) {
    SHUNT_OR_REAL(fd, real().read(fd, p, n));
    iovec v{p, n};
    return ret(Layer::current()->recv(fd, &v, 1, 0, nullptr, nullptr));
}

EXPORT ssize_t __read_chk(int fd, void* p, size_t n, size_t buflen) {
    if (n > buflen) __builtin_trap();  // as glibc's __chk_fail: a buffer overflow
    return read(fd, p, n);
}

EXPORT ssize_t write(int fd, const void* p, size_t n) {
    SHUNT_OR_REAL(fd, real().write(fd, p, n));
    iovec v{const_cast<void*>(p), n};
    return ret(Layer::current()->send(fd, &v, 1, 0, nullptr, 0));
}

EXPORT ssize_t readv(int fd, const iovec* iov, int cnt) {
    SHUNT_OR_REAL(fd, real().readv(fd, iov, cnt));
    if (cnt < 0 || cnt > IOV_MAX) return ret<ssize_t>(-EINVAL);
    return ret(Layer::current()->recv(fd, iov, cnt, 0, nullptr, nullptr));
}

EXPORT ssize_t writev(int fd, const iovec* iov, int cnt) {
    SHUNT_OR_REAL(fd, real().writev(fd, iov, cnt));
    if (cnt < 0 || cnt > IOV_MAX) return ret<ssize_t>(-EINVAL);
    return ret(Layer::current()->send(fd, iov, cnt, 0, nullptr, 0));
}

EXPORT ssize_t recv(int fd, void* p, size_t n, int flags) {
    SHUNT_OR_REAL(fd, real().recv(fd, p, n, flags));
    iovec v{p, n};
    return ret(Layer::current()->recv(fd, &v, 1, flags, nullptr, nullptr));
}

EXPORT ssize_t __recv_chk(int fd, void* p, size_t n, size_t buflen, int flags) {
    if (n > buflen) __builtin_trap();
    return recv(fd, p, n, flags);
}

EXPORT ssize_t send(int fd, const void* p, size_t n, int flags) {
    SHUNT_OR_REAL(fd, real().send(fd, p, n, flags));
    iovec v{const_cast<void*>(p), n};
    return ret(Layer::current()->send(fd, &v, 1, flags, nullptr, 0));
}

EXPORT ssize_t recvfrom(int fd, void* p, size_t n, int flags, sockaddr* a, socklen_t* al) {
    SHUNT_OR_REAL(fd, real().recvfrom(fd, p, n, flags, a, al));
    iovec v{p, n};
    return ret(Layer::current()->recv(fd, &v, 1, flags, a, al));
}

EXPORT ssize_t __recvfrom_chk(int fd, void* p, size_t n, size_t buflen, int flags, sockaddr* a,
                              socklen_t* al) {
    if (n > buflen) __builtin_trap();
    return recvfrom(fd, p, n, flags, a, al);
}

EXPORT ssize_t sendto(int fd, const void* p, size_t n, int flags, const sockaddr* a, socklen_t al) {
    SHUNT_OR_REAL(fd, real().sendto(fd, p, n, flags, a, al));
    iovec v{const_cast<void*>(p), n};
    return ret(Layer::current()->send(fd, &v, 1, flags, a, al));
}

EXPORT ssize_t recvmsg(int fd, msghdr* m, int flags) {
    SHUNT_OR_REAL(fd, real().recvmsg(fd, m, flags));
    if (m == nullptr) return ret<ssize_t>(-EFAULT);
    if (m->msg_iovlen > IOV_MAX) return ret<ssize_t>(-EMSGSIZE);
    socklen_t al = m->msg_namelen;
    const ssize_t r = Layer::current()->recv(fd, m->msg_iov, static_cast<int>(m->msg_iovlen), flags,
                                             static_cast<sockaddr*>(m->msg_name),
                                             m->msg_name != nullptr ? &al : nullptr);
    if (r >= 0) {
        m->msg_namelen = m->msg_name != nullptr ? al : 0;
        m->msg_controllen = 0;  // no ancillary data from shunt sockets
        m->msg_flags = 0;
    }
    return ret(r);
}

EXPORT ssize_t sendmsg(int fd, const msghdr* m, int flags) {
    SHUNT_OR_REAL(fd, real().sendmsg(fd, m, flags));
    if (m == nullptr) return ret<ssize_t>(-EFAULT);
    if (m->msg_iovlen > IOV_MAX) return ret<ssize_t>(-EMSGSIZE);
    return ret(Layer::current()->send(fd, m->msg_iov, static_cast<int>(m->msg_iovlen), flags,
                                      static_cast<const sockaddr*>(m->msg_name), m->msg_namelen));
}

EXPORT int recvmmsg(int fd, mmsghdr* v, unsigned int n, int flags, timespec* t) {
    if (!shunt_fd(fd)) {
        using F = int (*)(int, mmsghdr*, unsigned int, int, timespec*);
        static F f = reinterpret_cast<F>(::dlsym(RTLD_NEXT, "recvmmsg"));
        return f(fd, v, n, flags, t);
    }
    unsigned int i = 0;
    for (; i < n; ++i) {
        const ssize_t r =
            recvmsg(fd, &v[i].msg_hdr, i == 0 ? flags & ~MSG_WAITFORONE : flags | MSG_DONTWAIT);
        if (r < 0) return i > 0 ? static_cast<int>(i) : -1;
        v[i].msg_len = static_cast<unsigned int>(r);
    }
    return static_cast<int>(i);
}

EXPORT int sendmmsg(int fd, mmsghdr* v, unsigned int n, int flags) {
    if (!shunt_fd(fd)) {
        using F = int (*)(int, mmsghdr*, unsigned int, int);
        static F f = reinterpret_cast<F>(::dlsym(RTLD_NEXT, "sendmmsg"));
        return f(fd, v, n, flags);
    }
    unsigned int i = 0;
    for (; i < n; ++i) {
        const ssize_t r = sendmsg(fd, &v[i].msg_hdr, flags);
        if (r < 0) return i > 0 ? static_cast<int>(i) : -1;
        v[i].msg_len = static_cast<unsigned int>(r);
    }
    return static_cast<int>(i);
}

EXPORT int shutdown(int fd, int how) {
    SHUNT_OR_REAL(fd, real().shutdown(fd, how));
    return ret(Layer::current()->shutdown(fd, how));
}

EXPORT int close(int fd) {
    Layer* l = Layer::current();
    if (l == nullptr) return real().close(fd);
    if (l->epolls().get(fd) != nullptr) l->epoll_closed(fd);
    if (l->table().get(fd) == nullptr) return real().close(fd);
    return ret(l->close(fd));
}

EXPORT int getsockopt(int fd, int level, int name, void* v, socklen_t* n) {
    SHUNT_OR_REAL(fd, real().getsockopt(fd, level, name, v, n));
    return ret(Layer::current()->getsockopt(fd, level, name, v, n));
}

EXPORT int setsockopt(int fd, int level, int name, const void* v, socklen_t n) {
    SHUNT_OR_REAL(fd, real().setsockopt(fd, level, name, v, n));
    return ret(Layer::current()->setsockopt(fd, level, name, v, n));
}

EXPORT int getsockname(int fd, sockaddr* a, socklen_t* n) {
    SHUNT_OR_REAL(fd, real().getsockname(fd, a, n));
    return ret(Layer::current()->getsockname(fd, a, n));
}

EXPORT int getpeername(int fd, sockaddr* a, socklen_t* n) {
    SHUNT_OR_REAL(fd, real().getpeername(fd, a, n));
    return ret(Layer::current()->getpeername(fd, a, n));
}

// fcntl's third argument is an int or a pointer depending on the command; a long holds both
// on x86-64 and aarch64 (the variadic slot is a full register).
EXPORT int fcntl(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    const long arg = va_arg(ap, long);
    va_end(ap);
    if (!shunt_fd(fd)) return real().fcntl(fd, cmd, arg);
    if (child_refuses(fd)) return ret(-EBADF);
    return ret(Layer::current()->fcntl(fd, cmd, arg));
}

EXPORT int fcntl64(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    const long arg = va_arg(ap, long);
    va_end(ap);
    if (!shunt_fd(fd)) {
        using F = int (*)(int, int, ...);
        static F f = reinterpret_cast<F>(::dlsym(RTLD_NEXT, "fcntl64"));
        return f != nullptr ? f(fd, cmd, arg) : real().fcntl(fd, cmd, arg);
    }
    if (child_refuses(fd)) return ret(-EBADF);
    return ret(Layer::current()->fcntl(fd, cmd, arg));
}

EXPORT int ioctl(int fd, unsigned long req, ...) {
    va_list ap;
    va_start(ap, req);
    void* arg = va_arg(ap, void*);
    va_end(ap);
    if (!shunt_fd(fd)) return real().ioctl(fd, req, arg);
    if (child_refuses(fd)) return ret(-EBADF);
    return ret(Layer::current()->ioctl(fd, req, arg));
}

// glibc declares poll's and ppoll's array write-only (__fortified_attr_access), so GCC (with
// the sanitizers' instrumentation) believes the caller's pollfds uninitialized when we read
// them; they are the caller's input, as poll(2) says.
#pragma GCC diagnostic push
#if !defined(__clang__)  // clang has no such warning (and rejects the unknown name)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
EXPORT int poll(pollfd* fds, nfds_t n, int timeout_ms) {
    if (!any_shunt(fds, n)) return real().poll(fds, n, timeout_ms);
    timespec t{timeout_ms / 1000, (timeout_ms % 1000) * 1'000'000L};
    return ret(Layer::current()->poll(fds, n, timeout_ms < 0 ? nullptr : &t, nullptr));
}

EXPORT int __poll_chk(pollfd* fds, nfds_t n, int timeout_ms, size_t fdslen) {
    if (fdslen / sizeof(pollfd) < n) __builtin_trap();
    return poll(fds, n, timeout_ms);
}

EXPORT int ppoll(pollfd* fds, nfds_t n, const timespec* t, const sigset_t* mask) {
    if (!any_shunt(fds, n)) return real().ppoll(fds, n, t, mask);
    return ret(Layer::current()->poll(fds, n, t, mask));
}

EXPORT int __ppoll_chk(pollfd* fds, nfds_t n, const timespec* t, const sigset_t* mask,
                       size_t fdslen) {
    if (fdslen / sizeof(pollfd) < n) __builtin_trap();
    return ppoll(fds, n, t, mask);
}
#pragma GCC diagnostic pop

EXPORT int select(int nfds, fd_set* r, fd_set* w, fd_set* e, timeval* tv) {
    if (!any_shunt(nfds, r, w, e)) return real().select(nfds, r, w, e, tv);
    timespec t{};
    if (tv != nullptr) t = timespec{tv->tv_sec, tv->tv_usec * 1000};
    const int n = select_via_poll(nfds, r, w, e, tv != nullptr ? &t : nullptr, nullptr);
    if (tv != nullptr) *tv = timeval{0, 0};  // Linux updates the remaining time; we spent it
    return n;
}

EXPORT int pselect(int nfds, fd_set* r, fd_set* w, fd_set* e, const timespec* t,
                   const sigset_t* mask) {
    if (!any_shunt(nfds, r, w, e)) return real().pselect(nfds, r, w, e, t, mask);
    return select_via_poll(nfds, r, w, e, t, mask);
}

EXPORT int epoll_ctl(int epfd, int op, int fd, epoll_event* ev) {
    if (!shunt_fd(fd) &&
        (Layer::current() == nullptr || Layer::current()->epolls().get(epfd) == nullptr)) {
        return real().epoll_ctl(epfd, op, fd, ev);
    }
    if (child_refuses(fd)) return ret(-EBADF);
    return ret(Layer::current()->epoll_ctl(epfd, op, fd, ev));
}

EXPORT int epoll_wait(int epfd, epoll_event* evs, int max, int timeout_ms) {
    Layer* l = Layer::current();
    if (l == nullptr || l->epolls().get(epfd) == nullptr || l->forked_child()) {
        return real().epoll_wait(epfd, evs, max, timeout_ms);
    }
    return ret(l->epoll_wait(epfd, evs, max, timeout_ms, nullptr));
}

EXPORT int epoll_pwait(int epfd, epoll_event* evs, int max, int timeout_ms, const sigset_t* m) {
    Layer* l = Layer::current();
    if (l == nullptr || l->epolls().get(epfd) == nullptr || l->forked_child()) {
        return real().epoll_pwait(epfd, evs, max, timeout_ms, m);
    }
    return ret(l->epoll_wait(epfd, evs, max, timeout_ms, m));
}

EXPORT int dup(int fd) {
    SHUNT_OR_REAL(fd, real().dup(fd));
    return ret(Layer::current()->dup(fd, -1, 0, true));
}

EXPORT int dup2(int fd, int nfd) {
    if (!shunt_fd(fd) && !shunt_fd(nfd)) return real().dup2(fd, nfd);
    return ret(Layer::current()->dup(fd, nfd, 0, false));
}

EXPORT int dup3(int fd, int nfd, int flags) {
    if (!shunt_fd(fd) && !shunt_fd(nfd)) return real().dup3(fd, nfd, flags);
    return ret(Layer::current()->dup(fd, nfd, flags, false));
}

EXPORT ssize_t sendfile(int out, int in, off_t* off, size_t count) {
    if (!shunt_fd(out)) return real().sendfile(out, in, off, count);
    if (child_refuses(out)) return ret<ssize_t>(-EBADF);
    return ret(Layer::current()->sendfile(out, in, off, count));
}

EXPORT ssize_t sendfile64(int out, int in, off_t* off, size_t count) {
    return sendfile(out, in, off, count);
}
