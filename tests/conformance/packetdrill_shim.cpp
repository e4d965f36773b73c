// libshunt_packetdrill.so: packetdrill's shared-object mode (--so_filename) over one shunt
// Stack. packetdrill dlopen()s this file, calls packetdrill_interface_init and from then on
// sends every socket call, injected packet and clock reading of a script through the table
// filled in here (packetdrill.h, read from packetdrill's own tree at build time: it is
// packetdrill's interface, not copied into the project). The work is VirtualHost's.
#include "virtual_host.hpp"

#include <packetdrill.h>

#include <fcntl.h>
#include <cerrno>
#include <cstdarg>
#include <cstdio>

namespace {

using shunt::conformance::VirtualHost;

VirtualHost& host(void* u) {
    return *static_cast<VirtualHost*>(u);
}

ssize_t one(void* u, int fd, void* buf, size_t len, int flags, sockaddr* from, socklen_t* fl) {
    const iovec v{buf, len};
    return host(u).recv(fd, &v, 1, flags, from, fl);
}

ssize_t out(void* u, int fd, const void* buf, size_t len, int flags) {
    const iovec v{const_cast<void*>(buf), len};
    return host(u).send(fd, &v, 1, flags);
}

int no_support(const char* what) {
    std::fprintf(stderr, "shunt-packetdrill: %s is not supported\n", what);
    errno = ENOSYS;
    return -1;
}

// Variadic, as fcntl(2) and ioctl(2): plain functions (a lambda cannot take `...`).
int shim_fcntl(void* u, int fd, int cmd, ...) {
    long arg = 0;
    if (cmd == F_SETFL || cmd == F_SETFD) {  // the commands that take an argument
        va_list ap;
        va_start(ap, cmd);
        arg = va_arg(ap, long);
        va_end(ap);
    }
    return host(u).fcntl(fd, cmd, arg);
}

int shim_ioctl(void* u, int fd, unsigned long req, ...) {
    va_list ap;
    va_start(ap, req);
    void* arg = va_arg(ap, void*);
    va_end(ap);
    return host(u).ioctl(fd, req, arg);
}

void fill(packetdrill_interface* i) {
    i->free = [](void* u) { delete static_cast<VirtualHost*>(u); };
    i->socket = [](void* u, int d, int t, int p) { return host(u).socket(d, t, p); };
    i->bind = [](void* u, int fd, const sockaddr* a, socklen_t l) {
        return host(u).bind(fd, a, l);
    };
    i->listen = [](void* u, int fd, int b) { return host(u).listen(fd, b); };
    i->accept = [](void* u, int fd, sockaddr* a, socklen_t* l) { return host(u).accept(fd, a, l); };
    i->connect = [](void* u, int fd, const sockaddr* a, socklen_t l) {
        return host(u).connect(fd, a, l);
    };
    i->read = [](void* u, int fd, void* b, size_t n) {
        return one(u, fd, b, n, 0, nullptr, nullptr);
    };
    i->readv = [](void* u, int fd, const iovec* v, int c) {
        return host(u).recv(fd, v, c, 0, nullptr, nullptr);
    };
    i->recv = [](void* u, int fd, void* b, size_t n, int f) {
        return one(u, fd, b, n, f, nullptr, nullptr);
    };
    i->recvfrom = [](void* u, int fd, void* b, size_t n, int f, sockaddr* a, socklen_t* l) {
        return one(u, fd, b, n, f, a, l);
    };
    i->recvmsg = [](void* u, int fd, msghdr* m, int f) {
        m->msg_controllen = 0;
        m->msg_flags = 0;
        return host(u).recv(fd, m->msg_iov, static_cast<int>(m->msg_iovlen), f, nullptr, nullptr);
    };
    i->write = [](void* u, int fd, const void* b, size_t n) { return out(u, fd, b, n, 0); };
    i->writev = [](void* u, int fd, const iovec* v, int c) { return host(u).send(fd, v, c, 0); };
    i->send = [](void* u, int fd, const void* b, size_t n, int f) { return out(u, fd, b, n, f); };
    i->sendto = [](void* u, int fd, const void* b, size_t n, int f, const sockaddr*, socklen_t) {
        return out(u, fd, b, n, f);
    };
    i->sendmsg = [](void* u, int fd, const msghdr* m, int f) -> ssize_t {
        if (m->msg_controllen != 0) return no_support("sendmsg with control messages");
        return host(u).send(fd, m->msg_iov, static_cast<int>(m->msg_iovlen), f);
    };
    i->fcntl = shim_fcntl;
    i->ioctl = shim_ioctl;
    i->close = [](void* u, int fd) { return host(u).close(fd); };
    i->shutdown = [](void* u, int fd, int how) { return host(u).shutdown(fd, how); };
    i->getsockopt = [](void* u, int fd, int lv, int nm, void* v, socklen_t* l) {
        return host(u).getsockopt(fd, lv, nm, v, l);
    };
    i->setsockopt = [](void* u, int fd, int lv, int nm, const void* v, socklen_t l) {
        return host(u).setsockopt(fd, lv, nm, v, l);
    };
    i->poll = [](void* u, pollfd* f, nfds_t n, int t) { return host(u).poll(f, n, t); };
    i->netdev_send = [](void* u, const void* b, size_t n) { return host(u).netdev_send(b, n); };
    i->netdev_receive = [](void* u, void* b, size_t* n, long long* t) {
        return host(u).netdev_receive(b, n, t);
    };
    i->usleep = [](void* u, useconds_t us) { return host(u).usleep(us); };
    i->gettimeofday = [](void* u, timeval* tv, struct timezone*) {
        return host(u).gettimeofday(tv);
    };
    i->epoll_create = [](void* u, int size) { return host(u).epoll_create(size); };
    i->epoll_ctl = [](void* u, int ep, int op, int fd, epoll_event* e) {
        return host(u).epoll_ctl(ep, op, fd, e);
    };
    i->epoll_wait = [](void* u, int ep, epoll_event* e, int m, int t) {
        return host(u).epoll_wait(ep, e, m, t);
    };
    i->pipe = [](void*, int*) { return no_support("pipe"); };
    i->splice = [](void*, int, loff_t*, int, loff_t*, size_t, unsigned) -> int {
        return no_support("splice");
    };
}

}  // namespace

// packetdrill's init returns nothing, so it cannot hear of a failure: a bad --so_flags or a
// pool that cannot be made ends this test tool's process here with one line saying why.
extern "C" __attribute__((visibility("default"))) void packetdrill_interface_init(
    const char* flags, packetdrill_interface* ifc) {
    auto config = shunt::conformance::parse_flags(flags);
    if (!config) {
        std::fprintf(
            stderr,
            "shunt-packetdrill: bad --so_flags '%s' (want local_ip=A.B.C.D,timestamps=0|1)\n",
            flags);
        std::fflush(stderr);
        _exit(2);  // a test tool's plugin: packetdrill cannot continue without a stack
    }
    auto* h = new VirtualHost(*config);
    if (!h->ok()) {
        std::fprintf(stderr, "shunt-packetdrill: could not create the packet pool\n");
        std::fflush(stderr);
        _exit(2);
    }
    ifc->userdata = h;
    fill(ifc);
}
