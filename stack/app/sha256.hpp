// Incremental SHA-256 (FIPS 180-4) through OpenSSL's EVP interface, for POST /sink.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace shunt::app {

class Sha256 {
  public:
    static constexpr size_t kDigestLen = 32;
    using Digest = std::array<uint8_t, kDigestLen>;
    using Hex = std::array<char, 2 * kDigestLen>;

    // Allocates the EVP context once; reset() reuses it for every message.
    Sha256() noexcept;
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void reset() noexcept;
    void update(std::span<const uint8_t> data) noexcept;
    // The digest of everything since the last reset(), or nullopt if OpenSSL failed on the
    // way (no context, or an EVP call returned an error). Resets for the next message.
    std::optional<Digest> finish() noexcept;

    static Hex to_hex(const Digest& d) noexcept;
    static std::string_view view(const Hex& h) noexcept { return {h.data(), h.size()}; }

  private:
    EVP_MD_CTX* ctx_ = nullptr;
    bool ok_ = false;
};

}  // namespace shunt::app
