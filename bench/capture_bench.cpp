// What `shuntctl capture` costs the stack (docs/control.md, docs/PERFORMANCE.md): the receive
// path of an Interface (a batch of 32 UDP datagrams to a bound port, delivered and taken by
// the application) with the frame tap off, and on with no filter, a matching filter ("udp")
// and a filter that matches nothing ("tcp"). Read the ratios to "off" in the same run; the
// absolute numbers move with the machine. The ring is drained outside the timed region.
#include "stack/iface/interface.hpp"
#include "tests/unit/iface/fake_nic.hpp"
#include "tests/unit/iface/frames.hpp"
#include "tools/control/capture.hpp"

#include <benchmark/benchmark.h>

#include <cstring>

namespace {

using namespace shunt;

const MacAddr kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x99}};
const wire::Ipv4Addr kOurIp = wire::Ipv4Addr::from_octets(10, 0, 0, 2);
const wire::Ipv4Addr kPeerIp = wire::Ipv4Addr::from_octets(10, 0, 0, 1);
constexpr size_t kBatch = 32;

// Every rx_batch returns a full batch of the same 128-byte UDP frame; sent frames are freed.
class LoopNic final : public Nic {
  public:
    explicit LoopNic(test::Bytes frame) : frame_(std::move(frame)) {
        MemfdProvider memfd;
        pool_ = Mempool::create(memfd, 1024, "bench").value();
    }
    std::string name() const override { return "loop:0"; }
    std::string driver() const override { return "loop"; }
    MacAddr mac() const override { return kOurMac; }
    uint16_t mtu() const override { return 1500; }
    LinkStatus link() override { return {true, 0}; }
    uint16_t queue_count() const override { return 1; }
    NicCaps caps() const override { return {}; }
    NicCounters counters() override { return {}; }
    size_t rx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept override {
        size_t n = 0;
        for (; n < bufs.size(); ++n) {
            PacketBuf* b = pool_->alloc();
            if (b == nullptr) break;
            std::memcpy(b->rx_area(), frame_.data(), frame_.size());
            b->set_received(static_cast<uint16_t>(frame_.size()));
            bufs[n] = b;
        }
        return n;
    }
    size_t tx_batch(uint16_t, std::span<PacketBuf*> bufs) noexcept override {
        for (PacketBuf* b : bufs) b->unref();
        return bufs.size();
    }
    int wait_fd(uint16_t) const override { return -1; }
    Mempool& tx_pool(uint16_t) override { return *pool_; }

  private:
    test::Bytes frame_;
    std::unique_ptr<Mempool> pool_;
};

void BM_RxBatch(benchmark::State& state, const char* filter) {
    const test::Bytes payload = test::pattern(128 - 42);
    LoopNic nic(test::eth_frame(
        kOurMac, kPeerMac, wire::ethertype::ipv4,
        test::ipv4_packet({kPeerIp, kOurIp, wire::ip_proto::udp},
                          test::udp_datagram(kPeerIp, kOurIp, 5000, 9000, payload))));
    InterfaceConfig cfg;
    cfg.mac = kOurMac;
    cfg.address = wire::Ipv4Cidr{kOurIp, 24};
    cfg.rx_batch = kBatch;
    cfg.udp_queue_limit = 4096;
    Interface iface(nic, 0, cfg);
    UdpSocket* sock = iface.udp_bind(9000);
    std::unique_ptr<control::Capture> capture;
    if (filter != nullptr) {
        control::CaptureOptions o;
        o.filter = filter;
        o.ring_frames = 65536;
        capture = std::move(control::Capture::start(o).value());
        iface.set_tap(capture.get());
    }
    Instant now = Instant::from_millis(1000);
    UdpDatagram d;
    uint64_t frames = 0;
    for (auto _ : state) {
        now += Duration(1);
        frames += iface.poll_ingress(now);
        while (sock->recv(d)) d = UdpDatagram{};
        if (capture && capture->queued() > 60000) {
            state.PauseTiming();
            while (capture->read(4096, SIZE_MAX).size() > 0) {
            }
            state.ResumeTiming();
        }
    }
    if (frames != state.iterations() * kBatch || iface.counters().udp_rx != frames) {
        state.SkipWithError("not every frame was delivered");
    }
    if (capture) state.counters["captured"] = static_cast<double>(capture->counters().captured);
    state.counters["ns_per_frame"] = benchmark::Counter(
        static_cast<double>(frames), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_RxBatch, tap_off, nullptr);
BENCHMARK_CAPTURE(BM_RxBatch, tap_all_frames, "");
BENCHMARK_CAPTURE(BM_RxBatch, tap_filter_udp_match, "udp");
BENCHMARK_CAPTURE(BM_RxBatch, tap_filter_tcp_no_match, "tcp");

}  // namespace

BENCHMARK_MAIN();
