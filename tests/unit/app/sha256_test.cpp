// Sha256 against FIPS 180-4 example digests and digests of the /bytes pattern computed with
// an independent tool (Python's hashlib), fed whole and in pieces.
#include "stack/app/sha256.hpp"

#include "stack/app/byte_pattern.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace shunt::app {
namespace {

std::span<const uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string hex_of(Sha256& sha) {
    const auto d = sha.finish();
    EXPECT_TRUE(d.has_value());
    const auto h = Sha256::to_hex(d.value_or(Sha256::Digest{}));
    return std::string{Sha256::view(h)};
}

TEST(Sha256, Fips180ExampleDigests) {
    Sha256 sha;
    EXPECT_EQ(hex_of(sha), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha.update(bytes("abc"));
    EXPECT_EQ(hex_of(sha), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha.update(bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
    EXPECT_EQ(hex_of(sha), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const std::string million(1'000'000, 'a');
    sha.update(bytes(million));
    EXPECT_EQ(hex_of(sha), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsWhole) {
    Sha256 sha;
    for (char c : std::string_view{"hello world"}) sha.update(bytes(std::string_view{&c, 1}));
    EXPECT_EQ(hex_of(sha), "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
}

TEST(Sha256, PatternDigestsMatchAnIndependentTool) {
    struct Case {
        size_t n;
        std::string_view hex;
    };
    const Case cases[] = {
        {1, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"},
        {251, "ef67e0723230f6c535ff556e45ca2174e1e97deed306e9e87f1b65579076ec06"},
        {1000, "4e4c294b331f7a2099a379bec34b9f9fc03dc46ab465d998f4d683da53487e6d"},
        {100000, "cd2df694e424bc7968cc37f47751019e5ca0cd1bdf2e479ea537c3a1c32ee1aa"},
        {1 << 20, "631b84027d6b9e52b539c4e8373622d23032dfadc64d60af87339c9037e4f769"},
    };
    Sha256 sha;
    for (const Case& c : cases) {
        BytePatternProducer producer{c.n};
        std::vector<uint8_t> piece(1460);
        while (!producer.done()) {
            const size_t n = producer.produce(piece);
            sha.update(std::span<const uint8_t>(piece.data(), n));
        }
        EXPECT_EQ(hex_of(sha), c.hex) << c.n;
    }
}

}  // namespace
}  // namespace shunt::app
