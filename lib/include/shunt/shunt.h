/* libshunt's C API: shunt's user-space TCP/IP stack for applications written in C or bound
 * from other languages. The C++ API (shunt/shunt.hpp) is the same calls on shunt::Runtime.
 *
 * Conventions, close to POSIX so that porting a socket program is mostly renaming:
 *  - a socket is a small integer handle (>= 1), NOT a kernel file descriptor: it is valid only
 *    with the runtime that made it, and a closed handle is never valid again (EBADF);
 *  - every call returns >= 0 on success or a negated errno (-EAGAIN, -EINPROGRESS,
 *    -ECONNRESET, -EPIPE, -ENOTCONN, -EBADF, -EADDRINUSE, -EINVAL, ...); nothing sets errno;
 *  - everything is non-blocking; shunt_wait() is the one call that sleeps;
 *  - addresses and ports are in HOST byte order (10.0.0.1 is 0x0a000001).
 *
 * A runtime is single-threaded: one thread makes every call on it (run-to-completion: the
 * stack runs inside shunt_poll()/shunt_wait(), on the caller's thread). docs/libshunt.md
 * describes the deployment model. */
#ifndef SHUNT_SHUNT_H
#define SHUNT_SHUNT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Event bits (shunt_wait, shunt_interest), level-triggered: an event is reported on every
 * wait for as long as its condition holds. */
#define SHUNT_EV_READABLE 0x01u /* data to read, or EOF (recv returns 0), or a UDP datagram */
#define SHUNT_EV_WRITABLE 0x02u /* send takes bytes (also: a connect completed) */
#define SHUNT_EV_ACCEPT 0x04u   /* a listener has a connection waiting in accept */
#define SHUNT_EV_CLOSED 0x08u   /* nothing more will happen on this connection */
#define SHUNT_EV_ERROR 0x10u    /* the connection failed: shunt_socket_error() says why */

/* Socket options (shunt_setopt). */
#define SHUNT_OPT_NODELAY 1   /* value != 0 turns Nagle off (TCP_NODELAY) */
#define SHUNT_OPT_KEEPALIVE 2 /* value != 0 turns keep-alive probes on (SO_KEEPALIVE) */
#define SHUNT_OPT_SNDBUF 3    /* bytes the send queue may hold (SO_SNDBUF) */
#define SHUNT_OPT_RCVBUF 4    /* bytes the receive window may hold (SO_RCVBUF): listeners
                                 and before connect only, as the window is offered in the SYN */

#define SHUNT_SHUT_WR 1 /* shunt_shutdown: only the sending side can be shut (a FIN) */

typedef struct shunt_runtime shunt_runtime;

typedef struct shunt_config {
    const char* nic;     /* "tap:NAME" or "pci:DDDD:BB:DD.F" (a device bound to vfio-pci) */
    const char* ip;      /* "A.B.C.D/LEN" */
    const char* gateway; /* "A.B.C.D" or NULL */
    const char* mac;     /* "aa:bb:cc:dd:ee:ff" or NULL (the backend picks) */
    uint16_t mtu;        /* 0: 1500 */
    int allow_noiommu;   /* pci: accept a no-IOMMU VFIO group */
    int interrupts;      /* pci: sleep on the NIC's interrupt instead of polling it */
    uint32_t max_sockets; /* handle table size; 0: 4096 */
    uint32_t max_connections; /* TCP connections of the shard; 0: 4096 */
    uint32_t pool_buffers;    /* packet buffers of the NIC's pool; 0: 8192 (shunt.hpp says why) */
} shunt_config;

typedef struct shunt_addr {
    uint32_t ip; /* host byte order */
    uint16_t port;
} shunt_addr;

typedef struct shunt_event {
    int sock;
    uint32_t events; /* SHUNT_EV_* */
} shunt_event;

typedef struct shunt_iovec {
    const void* base;
    size_t len;
} shunt_iovec;

/* A transmit buffer from the shard's pool (zero-copy send): fill data[0..capacity), then hand
 * it to shunt_send_zc/shunt_sendto_zc, or give it back with shunt_buf_free. */
typedef struct shunt_buf {
    int id;
    void* data;
    size_t capacity;
} shunt_buf;

/* Opens the NIC and builds the stack. NULL on failure; then *error (if not NULL) points to
 * one sentence saying why, valid until the next shunt_open on this thread. */
shunt_runtime* shunt_open(const shunt_config* config, const char** error);
/* The attached deployment: attaches to a running shuntd through its app socket (NULL: the
 * default, shunt_default_app_socket). The daemon owns the NIC and runs the stack; the calls
 * are the same. NULL on failure, with *error as for shunt_open. docs/libshunt.md. */
shunt_runtime* shunt_attach(const char* app_socket, const char** error);
/* The app socket --attach without a path means: $SHUNT_APP_SOCKET, else the one *.apps
 * socket in /run/shunt/. NULL (with *error) when there is none or more than one. */
const char* shunt_default_app_socket(const char** error);
/* Closes every socket (open connections are reset), puts the resets on the wire (bounded)
 * and releases the NIC (attached: detaches; the daemon resets what is still open). */
void shunt_close_runtime(shunt_runtime* rt);

/* One step of the stack: receive, timers, transmit. Returns the work done (0: idle). */
int shunt_poll(shunt_runtime* rt);
/* Runs the stack until a socket has an event it is interested in or timeout_ms passes
 * (0: do not sleep; -1: no timeout). Fills up to max events; returns how many (0: timeout). */
int shunt_wait(shunt_runtime* rt, shunt_event* events, int max, int timeout_ms);
/* A file descriptor for the application's own epoll/poll loop: readable whenever shunt has
 * work (a frame arrived, a timer is due) or events are pending; then call
 * shunt_wait(rt, ..., 0). Owned by the runtime. */
int shunt_event_fd(shunt_runtime* rt);
/* Which events wait reports for sock (default: READABLE|ACCEPT|CLOSED|ERROR, and WRITABLE
 * too for a socket made by connect, so that its completion is reported). */
int shunt_interest(shunt_runtime* rt, int sock, uint32_t events);

int shunt_listen(shunt_runtime* rt, uint16_t port, int backlog);
int shunt_accept(shunt_runtime* rt, int listener, shunt_addr* peer);
/* -EINPROGRESS is success: the SYN leaves on the next poll; WRITABLE or ERROR follows. */
int shunt_connect(shunt_runtime* rt, shunt_addr remote, int* sock);
ssize_t shunt_send(shunt_runtime* rt, int sock, const void* data, size_t len);
ssize_t shunt_recv(shunt_runtime* rt, int sock, void* out, size_t len);
/* Zero-copy receive: up to max views of received packet buffers, in order. Returns the view
 * count (0: EOF) and *token; the views stay valid until shunt_release(token). */
int shunt_recv_zc(shunt_runtime* rt, int sock, shunt_iovec* iov, int max, int* token);
int shunt_release(shunt_runtime* rt, int token);
/* Zero-copy send. */
int shunt_buf_alloc(shunt_runtime* rt, shunt_buf* buf);
/* Sends buf's first len bytes. On success the buffer belongs to the stack; on -EAGAIN it is
 * still the caller's (try again when WRITABLE, or free it). */
int shunt_send_zc(shunt_runtime* rt, int sock, int buf, size_t len);
int shunt_buf_free(shunt_runtime* rt, int buf);
int shunt_shutdown(shunt_runtime* rt, int sock, int how);
int shunt_close(shunt_runtime* rt, int sock);
int shunt_setopt(shunt_runtime* rt, int sock, int opt, uint32_t value);
/* "cubic" or "newreno"; before the handshake completes. */
int shunt_set_congestion(shunt_runtime* rt, int sock, const char* name);
/* The error that ended the connection as a positive errno (0: none), like SO_ERROR. */
int shunt_socket_error(shunt_runtime* rt, int sock);
int shunt_local_addr(shunt_runtime* rt, int sock, shunt_addr* addr);
int shunt_peer_addr(shunt_runtime* rt, int sock, shunt_addr* addr);

int shunt_udp_bind(shunt_runtime* rt, uint16_t port);
ssize_t shunt_sendto(shunt_runtime* rt, int sock, const void* data, size_t len, shunt_addr to);
ssize_t shunt_recvfrom(shunt_runtime* rt, int sock, void* out, size_t len, shunt_addr* from);
int shunt_sendto_zc(shunt_runtime* rt, int sock, int buf, size_t len, shunt_addr to);

/* "A.B.C.D" to a host-order address; -EINVAL when it is not one. */
int shunt_parse_ipv4(const char* text, uint32_t* ip);

#ifdef __cplusplus
}
#endif

#endif /* SHUNT_SHUNT_H */
