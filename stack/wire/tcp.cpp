#include "stack/wire/tcp.hpp"

#include "stack/wire/ipv4.hpp"

#include <algorithm>

namespace shunt::wire {
namespace {

// RFC 9293 §3.1 "Options": a kind octet, then (for every kind but EOL and NOP) a length
// octet counting kind, length and data. Fills r's option fields.
Error parse_options(std::span<const uint8_t> opts, TcpRepr& r) noexcept {
    size_t i = 0;
    while (i < opts.size()) {
        const uint8_t kind = opts[i];
        if (kind == tcp_option::eol) break;  // the rest is padding
        if (kind == tcp_option::nop) {
            ++i;
            continue;
        }
        // MUST-7: an illegal length (no length octet, < 2, past the end) ends the parse.
        if (opts.size() - i < 2) return Error::bad_option;
        const size_t len = opts[i + 1];
        if (len < 2 || len > opts.size() - i) return Error::bad_option;
        const uint8_t* data = opts.data() + i + 2;
        switch (kind) {
            case tcp_option::mss:
                if (len != tcp_option::kMssLen) return Error::bad_option;
                r.mss = load_be16(data);
                break;
            case tcp_option::window_scale:
                if (len != tcp_option::kWindowScaleLen) return Error::bad_option;
                r.window_scale = std::min(data[0], tcp_option::kMaxWindowScale);
                break;
            case tcp_option::sack_permitted:
                if (len != tcp_option::kSackPermittedLen) return Error::bad_option;
                r.sack_permitted = true;
                break;
            case tcp_option::sack: {
                const size_t blocks = (len - tcp_option::kSackBase) / tcp_option::kSackBlock;
                if (blocks == 0 || tcp_option::kSackBase + blocks * tcp_option::kSackBlock != len) {
                    return Error::bad_option;
                }
                // 40 bytes of option space hold at most 4 blocks in all, so none is dropped.
                for (size_t b = 0; b < blocks && r.sack_count < r.sack.size(); ++b) {
                    const uint8_t* edge = data + b * tcp_option::kSackBlock;
                    r.sack[r.sack_count++] = SackBlock{load_be32(edge), load_be32(edge + 4)};
                }
                break;
            }
            case tcp_option::timestamps:
                if (len != tcp_option::kTimestampsLen) return Error::bad_option;
                r.timestamps = TcpTimestamps{load_be32(data), load_be32(data + 4)};
                break;
            default:
                break;  // MUST-5: ignore an option we do not implement, skipped by its length
        }
        i += len;
    }
    return Error::none;
}

// Bytes of every option but the SACK blocks, in emit's layout.
size_t fixed_options_len(const TcpRepr& r) noexcept {
    size_t n = 0;
    if (r.mss) n += 4;                              // MSS
    if (r.timestamps) n += 12;                      // SACKOK TS or NOP NOP TS
    if (!r.timestamps && r.sack_permitted) n += 4;  // NOP NOP SACKOK
    if (r.window_scale) n += 4;                     // NOP WS
    return n;
}

uint8_t* put4(uint8_t* p, uint8_t a, uint8_t b, uint8_t c, uint8_t d) noexcept {
    p[0] = a;
    p[1] = b;
    p[2] = c;
    p[3] = d;
    return p + 4;
}

uint8_t* put_be32(uint8_t* p, uint32_t v) noexcept {
    store_be32(p, v);
    return p + 4;
}

}  // namespace

Parsed<TcpView> TcpView::check(std::span<uint8_t> bytes) noexcept {
    if (bytes.size() < kMinHeaderLen) return {{}, Error::truncated};
    TcpView view{bytes};
    const size_t hlen = view.header_len();
    if (hlen < kMinHeaderLen || hlen > bytes.size()) return {{}, Error::bad_header_len};
    if (bytes.size() > 0xffff) return {{}, Error::bad_length};
    return {view};
}

uint16_t tcp_checksum(Ipv4Addr src, Ipv4Addr dst, std::span<const uint8_t> segment) noexcept {
    const uint32_t pseudo =
        pseudo_header_sum(src, dst, ip_proto::tcp, static_cast<uint16_t>(segment.size()));
    return checksum_fold(checksum_partial(segment, pseudo));
}

bool TcpView::verify_checksum(Ipv4Addr src, Ipv4Addr dst) const noexcept {
    return tcp_checksum(src, dst, bytes_) == 0;
}

void TcpView::fill_checksum(Ipv4Addr src, Ipv4Addr dst) noexcept {
    set_checksum(0);
    set_checksum(tcp_checksum(src, dst, bytes_));
}

Parsed<TcpRepr> TcpRepr::parse(const TcpView& view, Ipv4Addr src, Ipv4Addr dst,
                               bool verify_checksum) noexcept {
    if (auto checked = TcpView::check(view.bytes()); !checked.ok()) return {{}, checked.error};
    if (verify_checksum && !view.verify_checksum(src, dst)) return {{}, Error::bad_checksum};
    TcpRepr r;
    r.src_port = view.src_port();
    r.dst_port = view.dst_port();
    r.seq = view.seq_number();
    r.ack = view.ack_number();
    r.flags = view.flags();
    r.window = view.window();
    r.urgent = view.urgent_pointer();
    if (const Error e = parse_options(view.options(), r); e != Error::none) return {{}, e};
    r.payload_len = static_cast<uint16_t>(view.payload().size());
    return {r};
}

size_t TcpRepr::emitted_sack_count() const noexcept {
    if (sack_count == 0) return 0;
    const size_t room = TcpView::kMaxOptionsLen - fixed_options_len(*this);
    if (room < 4 + tcp_option::kSackBlock) return 0;  // NOP NOP kind len, then the blocks
    return std::min({size_t{sack_count}, sack.size(), (room - 4) / tcp_option::kSackBlock});
}

size_t TcpRepr::header_len() const noexcept {
    const size_t blocks = emitted_sack_count();
    const size_t sack_len = blocks == 0 ? 0 : 4 + blocks * tcp_option::kSackBlock;
    return TcpView::kMinHeaderLen + fixed_options_len(*this) + sack_len;
}

void TcpRepr::emit(TcpView& view, Ipv4Addr src, Ipv4Addr dst, bool fill_checksum) const noexcept {
    using namespace tcp_option;
    const size_t hlen = header_len();
    view.set_src_port(src_port);
    view.set_dst_port(dst_port);
    view.set_seq_number(seq);
    view.set_ack_number(ack);
    view.set_header_len(hlen);
    view.set_flags(flags);
    view.set_window(window);
    view.set_checksum(0);
    view.set_urgent_pointer(urgent);

    // Linux tcp_options_write(): each option, with its NOPs, fills whole 32-bit words.
    uint8_t* p = view.bytes().data() + tcp_field::kOptions;
    if (mss) {
        p = put4(p, tcp_option::mss, kMssLen, static_cast<uint8_t>(*mss >> 8),
                 static_cast<uint8_t>(*mss));
    }
    if (timestamps) {
        p = sack_permitted ? put4(p, tcp_option::sack_permitted, kSackPermittedLen,
                                  tcp_option::timestamps, kTimestampsLen)
                           : put4(p, nop, nop, tcp_option::timestamps, kTimestampsLen);
        p = put_be32(p, timestamps->tsval);
        p = put_be32(p, timestamps->tsecr);
    } else if (sack_permitted) {
        p = put4(p, nop, nop, tcp_option::sack_permitted, kSackPermittedLen);
    }
    if (window_scale) p = put4(p, nop, tcp_option::window_scale, kWindowScaleLen, *window_scale);
    if (const size_t blocks = emitted_sack_count(); blocks != 0) {
        p = put4(p, nop, nop, tcp_option::sack,
                 static_cast<uint8_t>(kSackBase + blocks * kSackBlock));
        for (size_t b = 0; b < blocks; ++b) {
            p = put_be32(p, sack[b].left);
            p = put_be32(p, sack[b].right);
        }
    }

    if (fill_checksum)
        view.set_checksum(tcp_checksum(src, dst, view.bytes().first(hlen + payload_len)));
}

bool TcpRepr::operator==(const TcpRepr& o) const noexcept {
    return src_port == o.src_port && dst_port == o.dst_port && seq == o.seq && ack == o.ack &&
           flags == o.flags && window == o.window && urgent == o.urgent && mss == o.mss &&
           window_scale == o.window_scale && sack_permitted == o.sack_permitted &&
           timestamps == o.timestamps && sack_count == o.sack_count &&
           std::equal(sack.begin(), sack.begin() + std::min<size_t>(sack_count, sack.size()),
                      o.sack.begin()) &&
           payload_len == o.payload_len;
}

}  // namespace shunt::wire
