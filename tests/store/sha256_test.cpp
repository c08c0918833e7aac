// SHA-256 against the FIPS 180-4 example vectors, in one piece and streamed byte by byte.
#include "store/sha256.h"

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

}  // namespace
}  // namespace lore::store
