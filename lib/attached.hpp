// The attached deployment of libshunt: the same shunt::Runtime, implemented by a client of a
// running shuntd (docs/libshunt.md). The daemon owns the NIC and the stack; this process
// talks to it through the region it received at attach (lib/attach/): every call that needs
// the stack is one command on the command ring answered by one completion, data travels
// through the app's rooms, and sleeping (wait, or a call whose answer is not there yet) is on
// the daemon's wake eventfd, signalled only when this side said it sleeps.
//
// Rooms: the first kStagingRooms (64 KiB) are the staging area of the copying calls (send,
// recv, sendto, recvfrom, the event list); the rest is cut into blocks of kBlockRooms (16
// KiB), each the buffer of one recv_zc view or one buf_alloc.
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "lib/attach/protocol.hpp"
#include "lib/attach/region.hpp"
#include "lib/attach/ring.hpp"
#include "lib/handle_table.hpp"

#include <shunt/shunt.hpp>

#include <memory>
#include <string>
#include <vector>

namespace shunt::lib {

class AttachedRuntime final : public Runtime {
  public:
    static constexpr uint32_t kStagingRooms = attach::kMaxIo / attach::kRoomSize;
    static constexpr uint32_t kBlockRooms = 8;
    static constexpr uint32_t kBlockBytes = kBlockRooms * attach::kRoomSize;

    // Connects to the daemon's app socket, does the handshake, maps the region.
    static Result<std::unique_ptr<AttachedRuntime>> attach(const std::string& socket_path);
    // Closing the control socket is the detach: the daemon resets what is still open.
    ~AttachedRuntime() override;

    int poll() noexcept override;
    int wait(std::span<Event> events, int timeout_ms) noexcept override;
    int event_fd() const noexcept override { return epoll_.get(); }
    int interest(int sock, uint32_t events) noexcept override;

    int listen(uint16_t port, int backlog) noexcept override;
    int accept(int listener, Addr* peer) noexcept override;
    int connect(Addr remote, int& sock) noexcept override;
    ssize_t send(int sock, const void* data, size_t len) noexcept override;
    ssize_t recv(int sock, void* out, size_t len) noexcept override;
    int recv_zc(int sock, std::span<IoVec> iov, int& token) noexcept override;
    int release(int token) noexcept override;
    int buf_alloc(Buf& buf) noexcept override;
    int send_zc(int sock, int buf, size_t len) noexcept override;
    int buf_free(int buf) noexcept override;
    int shutdown(int sock, int how) noexcept override;
    int close(int sock) noexcept override;
    int setopt(int sock, int opt, uint32_t value) noexcept override;
    int set_congestion(int sock, const char* name) noexcept override;
    int socket_error(int sock) noexcept override;
    int local_addr(int sock, Addr& addr) noexcept override;
    int peer_addr(int sock, Addr& addr) noexcept override;

    int udp_bind(uint16_t port) noexcept override;
    ssize_t sendto(int sock, const void* data, size_t len, Addr to) noexcept override;
    ssize_t recvfrom(int sock, void* out, size_t len, Addr* from) noexcept override;
    int sendto_zc(int sock, int buf, size_t len, Addr to) noexcept override;

    // For tests: the commands sent so far, and whether the daemon is gone.
    uint64_t commands_sent() const noexcept { return seq_; }
    bool detached() const noexcept { return dead_; }

  private:
    AttachedRuntime() = default;
    // Sends one command and waits for its completion; the result, or -EPIPE once the daemon
    // is gone (its control socket closed) or stopped answering.
    int64_t call(attach::Command& c, attach::Completion* out = nullptr) noexcept;
    bool post(attach::Command& c) noexcept;
    // Takes completions until `seq`'s (true) or, with seq 0, until an armed wait's (true) or
    // the deadline (false). timeout_ms < 0: no deadline.
    bool await(uint32_t seq, attach::Completion& out, int timeout_ms) noexcept;
    void other(const attach::Completion& c) noexcept;
    bool sleep_on_wake(int timeout_ms) noexcept;
    uint8_t* room_ptr(uint32_t room) const noexcept;
    int take_block() noexcept;
    void give_block(uint32_t block) noexcept { free_blocks_.push_back(block); }
    uint32_t block_room(uint32_t block) const noexcept {
        return kStagingRooms + block * kBlockRooms;
    }
    int events_call(std::span<Event> out) noexcept;

    UniqueFd conn_;
    UniqueFd doorbell_;
    UniqueFd wake_;
    UniqueFd epoll_;  // event_fd(): wake_ and conn_ (the daemon going away)
    std::unique_ptr<attach::Region> region_;
    attach::RingProducer<attach::Command> cmds_;
    attach::RingConsumer<attach::Completion> cpls_;
    uint32_t seq_ = 0;
    bool armed_ = false;
    bool arm_fired_ = false;
    bool readable_ = false;  // event_fd() must stay readable until the next wait()
    bool drained_ = false;   // a sleep in the current call read the wake fd
    uint32_t arm_seq_ = 0;
    bool dead_ = false;
    std::vector<uint32_t> free_blocks_;
    HandleTable<uint32_t> held_rx_{0};  // recv_zc tokens -> blocks
    HandleTable<uint32_t> held_tx_{0};  // buf_alloc ids -> blocks
};

}  // namespace shunt::lib
