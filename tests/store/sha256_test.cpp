// SHA-256 against the FIPS 180-4 example vectors, in one piece and streamed byte by byte.
#include "store/sha256.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace lore::store {
namespace {

TEST(Sha256Test, MatchesFipsExamples) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, StreamingEqualsOneShot) {
    std::string message(1000, 'a');
    for (std::size_t i = 0; i < message.size(); ++i) {
        message[i] = static_cast<char>('a' + i % 26);
    }
    Sha256 hasher;
    for (char c : message) {
        hasher.update(std::string_view(&c, 1));
    }

    EXPECT_EQ(hasher.hex_digest(), sha256_hex(message));
}

// The SHA-instruction path against the scalar specification, on every length around the
// block and padding boundaries and on a long message fed in uneven pieces.
TEST(Sha256Test, HardwarePathMatchesTheScalarReference) {
    if (!Sha256::hardware_accelerated()) {
        GTEST_SKIP() << "this CPU has no SHA instructions; kBest is the scalar code";
    }
    std::string message(100000, '\0');
    std::uint32_t x = 12345;
    for (char& c : message) {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>(x >> 24);
    }
    auto hex = [](Sha256::Implementation impl, std::string_view bytes, std::size_t piece) {
        Sha256 hasher(impl);
        for (std::size_t pos = 0; pos < bytes.size(); pos += piece) {
            hasher.update(bytes.substr(pos, piece));
        }
        return hasher.hex_digest();
    };
    for (std::size_t n = 0; n <= 300; ++n) {
        const std::string_view part(message.data(), n);
        EXPECT_EQ(hex(Sha256::Implementation::kBest, part, 1000),
                  hex(Sha256::Implementation::kScalar, part, 1000))
            << n;
    }
    EXPECT_EQ(hex(Sha256::Implementation::kBest, message, 777),
              hex(Sha256::Implementation::kScalar, message, 100000));
    EXPECT_EQ(hex(Sha256::Implementation::kBest, "abc", 3),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace lore::store
