#include "stack/app/sha256.hpp"

#include <openssl/evp.h>

namespace shunt::app {

Sha256::Sha256() noexcept : ctx_(EVP_MD_CTX_new()) {
    reset();
}

Sha256::~Sha256() {
    EVP_MD_CTX_free(ctx_);
}

void Sha256::reset() noexcept {
    ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1;
}

void Sha256::update(std::span<const uint8_t> data) noexcept {
    if (!ok_ || data.empty()) return;
    ok_ = EVP_DigestUpdate(ctx_, data.data(), data.size()) == 1;
}

std::optional<Sha256::Digest> Sha256::finish() noexcept {
    Digest d{};
    unsigned int len = 0;
    const bool ok = ok_ && EVP_DigestFinal_ex(ctx_, d.data(), &len) == 1 && len == kDigestLen;
    reset();
    if (!ok) return std::nullopt;
    return d;
}

Sha256::Hex Sha256::to_hex(const Digest& d) noexcept {
    constexpr char kDigits[] = "0123456789abcdef";
    Hex h{};
    for (size_t i = 0; i < d.size(); ++i) {
        h[2 * i] = kDigits[d[i] >> 4];
        h[2 * i + 1] = kDigits[d[i] & 0xf];
    }
    return h;
}

}  // namespace shunt::app
