// The attach protocol between shuntd and an attached app (docs/libshunt.md, "Attached"):
// the handshake on the Unix control socket and the entries of the two rings.
//
// Every call of shunt::Runtime that needs the stack is one Command (app -> daemon) answered
// by one Completion (daemon -> app) with the same `seq`. Data never travels in an entry: it
// lies in the app's rooms (2 KiB each, contiguous), named by (room, len). The daemon copies
// out of the rooms into its own packet buffers (it builds every header) and copies received
// bytes into the rooms the command named.
#pragma once

#include <cstdint>

namespace shunt::attach {

inline constexpr uint32_t kMagic = 0x73687561;  // "shua"
inline constexpr uint32_t kVersion = 1;
inline constexpr uint32_t kRoomSize = 2048;
// The most one command may move (send, recv, events): bounds the daemon's work per entry.
inline constexpr uint32_t kMaxIo = 64 * 1024;
inline constexpr uint32_t kMaxCongestionName = 16;

enum class Op : uint16_t {
    events = 1,      // room,len: write up to len/8 shunt_event into the rooms
    arm,             // complete (result 1) once a socket has an event; result 0 when cancelled
    interest,        // sock, arg = mask
    listen,          // port, arg = backlog
    accept,          // sock -> result handle, ip/port the peer
    connect,         // ip/port -> result -EINPROGRESS, sock the handle
    send,            // sock, room, len -> bytes taken
    recv,            // sock, room, len -> bytes written into the rooms (0: EOF)
    shutdown,        // sock, arg = how
    close,           // sock
    setopt,          // sock, arg = option, arg2 = value
    set_congestion,  // sock, name
    socket_error,    // sock
    local_addr,      // sock -> ip/port
    peer_addr,       // sock -> ip/port
    udp_bind,        // port
    sendto,          // sock, room, len, ip/port
    recvfrom,        // sock, room, len -> bytes, ip/port the sender
    last = recvfrom,
};

struct Command {
    uint32_t seq;
    uint16_t op;
    uint16_t port;
    int32_t sock;
    uint32_t room;
    uint32_t len;
    uint32_t ip;
    uint32_t arg;
    uint32_t arg2;
    char name[kMaxCongestionName];  // not NUL-terminated when full
    uint32_t reserved[4];
};
static_assert(sizeof(Command) == 64);

struct Completion {
    uint32_t seq;
    uint16_t op;
    uint16_t port;
    int64_t result;  // >= 0, or a negated errno
    uint32_t ip;
    int32_t sock;
    uint32_t reserved[2];
};
static_assert(sizeof(Completion) == 32);

// ---- the handshake (SOCK_SEQPACKET: one message each way) ----

struct Hello {  // app -> daemon
    uint32_t magic;
    uint32_t version;
};

struct Welcome {  // daemon -> app, with three fds (SCM_RIGHTS): region, doorbell, wake
    uint32_t magic;
    uint32_t version;
    int32_t status;  // 0, or a negated errno (then no fds): EPROTO, EMFILE (too many apps)
    uint32_t region_bytes;
};

// Why the daemon rejected a command (counted per app and in total; docs/libshunt.md).
enum class BadCommand : uint8_t {
    unknown_op,
    bad_room,  // room or length outside the region, or len above kMaxIo
    bad_ring,  // an impossible ring index: the app is detached
    count,
};
inline const char* to_string(BadCommand b) noexcept {
    switch (b) {
        case BadCommand::unknown_op:
            return "unknown_op";
        case BadCommand::bad_room:
            return "bad_room";
        case BadCommand::bad_ring:
            return "bad_ring";
        case BadCommand::count:
            break;
    }
    return "?";
}

}  // namespace shunt::attach
