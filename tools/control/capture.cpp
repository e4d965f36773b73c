#include "tools/control/capture.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>

namespace shunt::control {

Capture::Capture(const CaptureOptions& options) : options_(options) {}

Capture::~Capture() {
    if (has_program_) pcap_freecode(&program_);
}

Result<std::unique_ptr<Capture>> Capture::start(const CaptureOptions& options) {
    if (options.snaplen < 64 || options.snaplen > PacketBuf::kDataRoom) {
        return make_error("snaplen {}: expected 64-{}", options.snaplen, PacketBuf::kDataRoom);
    }
    if (options.ring_frames < 1 || options.ring_frames > 65536) {
        return make_error("ring_frames {}: expected 1-65536", options.ring_frames);
    }
    std::unique_ptr<Capture> c(new Capture(options));
    if (!options.filter.empty()) {
        // A dead handle: only the link type and snaplen matter to the compiler.
        std::unique_ptr<pcap_t, void (*)(pcap_t*)> dead(
            pcap_open_dead(DLT_EN10MB, static_cast<int>(options.snaplen)), pcap_close);
        if (!dead) return make_error("pcap_open_dead failed");
        if (pcap_compile(dead.get(), &c->program_, options.filter.c_str(), /*optimize=*/1,
                         PCAP_NETMASK_UNKNOWN) != 0) {
            return make_error("filter '{}': {}", options.filter, pcap_geterr(dead.get()));
        }
        c->has_program_ = true;
    }
    c->slots_.resize(options.ring_frames);
    c->data_.resize(size_t{options.ring_frames} * options.snaplen);
    timespec real{};
    ::clock_gettime(CLOCK_REALTIME, &real);
    const int64_t real_us = int64_t{real.tv_sec} * 1'000'000 + real.tv_nsec / 1000;
    c->wall_offset_us_ = real_us - Instant::now().micros();
    return c;
}

void Capture::on_frames(TapDirection dir, std::span<PacketBuf* const> frames,
                        Instant now) noexcept {
    std::lock_guard lock(mu_);
    for (PacketBuf* f : frames) {
        offer_locked(dir, f->data(), static_cast<uint32_t>(f->bytes().size()), now);
    }
}

void Capture::offer(TapDirection dir, const uint8_t* data, uint32_t len, Instant now) noexcept {
    std::lock_guard lock(mu_);
    offer_locked(dir, data, len, now);
}

void Capture::offer_locked(TapDirection dir, const uint8_t* data, uint32_t len,
                           Instant now) noexcept {
    ++counters_.seen;
    if (complete_locked()) return;
    const uint32_t caplen = std::min(len, options_.snaplen);
    if (has_program_) {
        pcap_pkthdr h{};
        h.caplen = caplen;
        h.len = len;
        if (pcap_offline_filter(&program_, &h, data) == 0) return;
    }
    ++counters_.matched;
    if (count_ == slots_.size()) {
        ++counters_.dropped;
        return;
    }
    const size_t i = (head_ + count_) % slots_.size();
    slots_[i] = Slot{now.micros() + wall_offset_us_, len, caplen, dir};
    std::memcpy(data_.data() + i * options_.snaplen, data, caplen);
    ++count_;
    ++counters_.captured;
}

std::vector<CapturedFrame> Capture::read(size_t max_frames, size_t max_bytes) {
    std::lock_guard lock(mu_);
    std::vector<CapturedFrame> out;
    size_t bytes = 0;
    while (count_ > 0 && out.size() < max_frames && (out.empty() || bytes < max_bytes)) {
        const Slot& s = slots_[head_];
        const uint8_t* p = data_.data() + head_ * options_.snaplen;
        out.push_back(CapturedFrame{s.wall_us, s.len, s.dir,
                                    std::string(reinterpret_cast<const char*>(p), s.caplen)});
        bytes += s.caplen;
        head_ = (head_ + 1) % slots_.size();
        --count_;
        ++counters_.read;
    }
    return out;
}

}  // namespace shunt::control
