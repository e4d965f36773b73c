#include "driver/tap/tap_steering.hpp"

#include "base/unique_fd.hpp"

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

namespace shunt {
namespace {

constexpr bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}
constexpr bpf_insn mov_reg(uint8_t dst, uint8_t src) {
    return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
constexpr bpf_insn mov_imm(uint8_t dst, int32_t imm) {
    return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
constexpr bpf_insn alu_imm(uint8_t op, uint8_t dst, int32_t imm) {
    return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
constexpr bpf_insn xor_reg(uint8_t dst, uint8_t src) {
    return insn(BPF_ALU64 | BPF_XOR | BPF_X, dst, src, 0, 0);
}
// Packet loads (r6 holds the context): r0 = the frame's bytes at `off` (after r7 for IND),
// in host order; a load past the end ends the program with 0 (queue 0).
constexpr bpf_insn load_abs(uint8_t size, int32_t off) {
    return insn(BPF_LD | BPF_ABS | size, 0, 0, 0, off);
}
constexpr bpf_insn load_ind(uint8_t size, uint8_t reg, int32_t off) {
    return insn(BPF_LD | BPF_IND | size, 0, reg, 0, off);
}
constexpr bpf_insn jump_imm(uint8_t op, uint8_t reg, int32_t imm, int16_t skip) {
    return insn(BPF_JMP | op | BPF_K, reg, 0, skip, imm);
}
constexpr bpf_insn exit_insn() {
    return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

// Offsets into the Ethernet frame (no VLAN tag: the kernel's side of a TAP sends none).
constexpr int32_t kIpv4 = ETH_HLEN;            // version and IHL
constexpr int32_t kIpv4FragField = kIpv4 + 6;  // flags and fragment offset
constexpr int32_t kIpv4Protocol = kIpv4 + 9;
constexpr int32_t kIpv4Source = kIpv4 + 12;
constexpr int32_t kIpv4Destination = kIpv4 + 16;

}  // namespace

Status install_rss_like_steering(int tap_fd) {
    // r8: the hash; r7: the IPv4 header's length; r1-r5 are clobbered by the packet loads.
    const std::array<bpf_insn, 31> program = {
        /* 0 */ mov_reg(BPF_REG_6, BPF_REG_1),
        /* 1 */
        insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_0, BPF_REG_6,
             static_cast<int16_t>(offsetof(__sk_buff, protocol)), 0),
        /* 2 */ jump_imm(BPF_JNE, BPF_REG_0, htons(ETH_P_IP), 26),  // not IPv4: to 29
        /* 3 */ load_abs(BPF_W, kIpv4Source),
        /* 4 */ mov_reg(BPF_REG_8, BPF_REG_0),
        /* 5 */ load_abs(BPF_W, kIpv4Destination),
        /* 6 */ xor_reg(BPF_REG_8, BPF_REG_0),
        /* 7 */ load_abs(BPF_H, kIpv4FragField),
        /* 8 */ alu_imm(BPF_AND, BPF_REG_0, 0x3fff),  // MF and the offset
        /* 9 */ jump_imm(BPF_JNE, BPF_REG_0, 0, 11),  // a fragment: addresses only (21)
        /* 10 */ load_abs(BPF_B, kIpv4Protocol),
        /* 11 */ jump_imm(BPF_JEQ, BPF_REG_0, 6, 1),   // TCP: to 13
        /* 12 */ jump_imm(BPF_JNE, BPF_REG_0, 17, 8),  // not UDP either: to 21
        /* 13 */ load_abs(BPF_B, kIpv4),
        /* 14 */ alu_imm(BPF_AND, BPF_REG_0, 0xf),
        /* 15 */ alu_imm(BPF_LSH, BPF_REG_0, 2),
        /* 16 */ mov_reg(BPF_REG_7, BPF_REG_0),
        /* 17 */ load_ind(BPF_H, BPF_REG_7, kIpv4),  // source port
        /* 18 */ xor_reg(BPF_REG_8, BPF_REG_0),
        /* 19 */ load_ind(BPF_H, BPF_REG_7, kIpv4 + 2),  // destination port
        /* 20 */ xor_reg(BPF_REG_8, BPF_REG_0),
        // Fold the high bits into the low ones (the kernel takes the value modulo the queues).
        /* 21 */ mov_reg(BPF_REG_0, BPF_REG_8),
        /* 22 */ mov_reg(BPF_REG_1, BPF_REG_0),
        /* 23 */ alu_imm(BPF_RSH, BPF_REG_1, 16),
        /* 24 */ xor_reg(BPF_REG_0, BPF_REG_1),
        /* 25 */ mov_reg(BPF_REG_1, BPF_REG_0),
        /* 26 */ alu_imm(BPF_RSH, BPF_REG_1, 8),
        /* 27 */ xor_reg(BPF_REG_0, BPF_REG_1),
        /* 28 */ exit_insn(),
        /* 29 */ mov_imm(BPF_REG_0, 0),
        /* 30 */ exit_insn(),
    };
    std::array<char, 4096> log{};
    bpf_attr attr{};
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insns = reinterpret_cast<uint64_t>(program.data());
    attr.insn_cnt = static_cast<uint32_t>(program.size());
    static constexpr char kLicense[] = "Dual BSD/GPL";
    attr.license = reinterpret_cast<uint64_t>(kLicense);
    attr.log_buf = reinterpret_cast<uint64_t>(log.data());
    attr.log_size = static_cast<uint32_t>(log.size());
    attr.log_level = 1;
    UniqueFd prog(static_cast<int>(::syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr)));
    if (!prog.valid()) {
        const int err = errno;
        std::string why(log.data(), strnlen(log.data(), log.size()));
        if (const auto nl = why.find_last_not_of('\n'); nl != std::string::npos) {
            why.resize(nl + 1);
        }
        return make_error("loading the steering program: {}{}", std::strerror(err),
                          why.empty() ? "" : " (" + why.substr(why.rfind('\n') + 1) + ")");
    }
    int fd = prog.get();
    // The TAP keeps its own reference to the program; ours goes with `prog`.
    if (::ioctl(tap_fd, TUNSETSTEERINGEBPF, &fd) != 0) {
        return make_error("TUNSETSTEERINGEBPF: {}", std::strerror(errno));
    }
    return {};
}

}  // namespace shunt
