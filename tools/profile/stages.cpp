#include "tools/profile/stages.hpp"

namespace shunt::profile {
namespace {

bool has(std::string_view s, std::string_view part) {
    return s.find(part) != std::string_view::npos;
}

template <size_t N>
bool has_any(std::string_view s, const std::array<std::string_view, N>& parts) {
    for (auto p : parts) {
        if (has(s, p)) return true;
    }
    return false;
}

// Names as they are in the tree (driver/nic.hpp, stack/iface, stack/tcp, stack/app, lib/).
constexpr std::array<std::string_view, 3> kDriverTx{"::tx_batch", "TxQueue", "tx_reclaim"};
constexpr std::array<std::string_view, 3> kDriverRx{"::rx_batch", "RxQueue", "rx_refill"};
constexpr std::array<std::string_view, 8> kTcp{"shunt::Tcp", "shunt::tcp",     "SendQueue",
                                               "RecvQueue",  "SackScoreboard", "Cubic",
                                               "NewReno",    "TimeWait"};
constexpr std::array<std::string_view, 8> kIp{
    "shunt::Interface", "NeighborCache", "Reassembl", "Ipv4", "Arp", "Icmp",
    "shunt::Udp",       "shunt::udp"};
constexpr std::array<std::string_view, 7> kApp{
    "StackApp",       "TcpServices",       "HttpSession",   "EchoSession",
    "ServiceSession", "HttpRequestParser", "shunt::Runtime"};

}  // namespace

std::string_view stage_name(Stage s) {
    switch (s) {
        case Stage::driver_rx:
            return "driver RX";
        case Stage::ip:
            return "IP";
        case Stage::tcp:
            return "TCP";
        case Stage::app:
            return "app";
        case Stage::driver_tx:
            return "driver TX";
        case Stage::other:
            return "other";
    }
    return "other";
}

Stage stage_of_frame(std::string_view f) {
    // App before TCP: TcpServices is an application of the stack, not TCP itself.
    if (has_any(f, kApp)) return Stage::app;
    if (has_any(f, kDriverTx)) return Stage::driver_tx;
    if (has_any(f, kDriverRx)) return Stage::driver_rx;
    if (has_any(f, kTcp)) return Stage::tcp;
    if (has_any(f, kIp)) return Stage::ip;
    return Stage::other;
}

namespace {

// libc's read/write wrappers keep no frame pointer, so a sample inside one (or in the kernel
// below it) unwinds to the caller of the driver's rx_batch/tx_batch, skipping the driver's
// own frame. Such an I/O call made straight from the interface's or a NIC's code is the
// driver's (the TAP reads and writes its fd there; nothing else on the data path does I/O).
Stage io_stage(std::string_view frame) {
    constexpr std::array<std::string_view, 6> kRead{"read",  "__GI___libc_read", "__libc_read",
                                                    "readv", "recvmmsg",         "__libc_readv"};
    constexpr std::array<std::string_view, 6> kWrite{
        "write", "__GI___libc_write", "__libc_write", "writev", "sendmmsg", "__libc_writev"};
    for (auto f : kRead) {
        if (frame == f) return Stage::driver_rx;
    }
    for (auto f : kWrite) {
        if (frame == f) return Stage::driver_tx;
    }
    return Stage::other;
}

bool is_io_caller(std::string_view frame) {
    return has(frame, "shunt::Interface::") || has(frame, "Nic::");
}

}  // namespace

Stage stage_of_stack(std::string_view stack) {
    size_t end = stack.size();
    Stage pending_io = Stage::other;  // the I/O call seen just before (leafward), if any
    while (true) {
        const size_t sep = end == 0 ? std::string_view::npos : stack.rfind(';', end - 1);
        const size_t start = sep == std::string_view::npos ? 0 : sep + 1;
        const std::string_view frame = stack.substr(start, end - start);
        if (pending_io != Stage::other && is_io_caller(frame)) return pending_io;
        const Stage s = stage_of_frame(frame);
        if (s != Stage::other) return s;
        pending_io = io_stage(frame);
        if (sep == std::string_view::npos) return Stage::other;
        end = sep;
    }
}

StageBreakdown breakdown(const FoldedStacks& stacks) {
    StageBreakdown b;
    for (const auto& [stack, weight] : stacks) {
        b.weight[static_cast<size_t>(stage_of_stack(stack))] += weight;
        b.total += weight;
    }
    return b;
}

}  // namespace shunt::profile
