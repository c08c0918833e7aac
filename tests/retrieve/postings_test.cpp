// Posting-list codec: round trips of every block-boundary size, the block directory's bounds,
// and hostile blobs (truncated, flipped, hand-made inconsistencies) that must come back as
// kCorruption, never as a crash or an out-of-range read (ASan runs these).
#include "retrieve/postings.h"

#include <random>

#include <gtest/gtest.h>

namespace lore::retrieve {
namespace {

std::vector<Posting> random_postings(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Posting> out;
    std::int64_t doc = 0;
    for (std::size_t idx = 0; idx < n; ++idx) {
        const std::uint64_t r = rng() % 100;
        doc += r < 80 ? 1 + static_cast<std::int64_t>(rng() % 5)
                      : (r < 98 ? 1 + static_cast<std::int64_t>(rng() % 5000)
                                : (std::int64_t{1} << 40));
        const auto tf = static_cast<std::uint32_t>(r < 70 ? 1 : 1 + rng() % 1000);
        const auto len = static_cast<std::uint32_t>(r % 3 == 0 ? rng() % 100000 : rng() % 200);
        out.push_back({doc, tf, len});
    }
    return out;
}

Status decode(std::span<const std::uint8_t> blob, std::vector<Posting>& out) {
    PostingList list;
    LORE_RETURN_IF_ERROR(PostingList::parse(blob, list));
    return list.decode_all(out);
}

bool same(const std::vector<Posting>& a, const std::vector<Posting>& b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t idx = 0; idx < a.size(); ++idx) {
        if (a[idx].doc_id != b[idx].doc_id || a[idx].tf != b[idx].tf ||
            a[idx].doc_len != b[idx].doc_len) {
            return false;
        }
    }
    return true;
}

TEST(PostingsTest, RoundTripsListsOfEveryBlockBoundarySize) {
    const std::size_t sizes[] = {1, 2, 127, 128, 129, 255, 256, 257, 1000, 4099};
    for (std::size_t n : sizes) {
        const std::vector<Posting> postings = random_postings(n, n);
        std::vector<std::uint8_t> blob;
        encode_postings(postings, blob);

        std::vector<Posting> decoded;
        const Status status = decode(blob, decoded);

        ASSERT_TRUE(status.is_ok()) << "n=" << n << ": " << status.to_string();
        EXPECT_TRUE(same(postings, decoded)) << "n=" << n;
    }
}

TEST(PostingsTest, RoundTripsExtremeValues) {
    const std::vector<Posting> postings = {
        {1, 1, 0}, {2, 0xffffffffU, 0xffffffffU}, {std::int64_t{1} << 62, 7, 3}, {INT64_MAX, 1, 1}};
    std::vector<std::uint8_t> blob;
    encode_postings(postings, blob);

    std::vector<Posting> decoded;
    ASSERT_TRUE(decode(blob, decoded).is_ok());

    EXPECT_TRUE(same(postings, decoded));
}

TEST(PostingsTest, DirectoryHoldsEachBlocksLastDocAndBounds) {
    const std::vector<Posting> postings = random_postings(300, 5);
    std::vector<std::uint8_t> blob;
    encode_postings(postings, blob);

    PostingList list;
    ASSERT_TRUE(PostingList::parse(blob, list).is_ok());

    ASSERT_EQ(list.n_blocks(), 3U);
    EXPECT_EQ(list.n_postings(), 300U);
    for (std::size_t block_idx = 0; block_idx < 3; ++block_idx) {
        const std::size_t begin = block_idx * kPostingBlockSize;
        const std::size_t end = std::min<std::size_t>(300, begin + kPostingBlockSize);
        std::uint32_t max_tf = 0;
        std::uint32_t min_len = UINT32_MAX;
        for (std::size_t idx = begin; idx < end; ++idx) {
            max_tf = std::max(max_tf, postings[idx].tf);
            min_len = std::min(min_len, postings[idx].doc_len);
        }
        EXPECT_EQ(list.block(block_idx).last_doc, postings[end - 1].doc_id);
        EXPECT_EQ(list.block(block_idx).max_tf, max_tf);
        EXPECT_EQ(list.block(block_idx).min_len, min_len);
        EXPECT_EQ(list.block(block_idx).n_postings, end - begin);
    }
}

TEST(PostingsTest, EveryTruncationIsCorruption) {
    std::vector<std::uint8_t> blob;
    encode_postings(random_postings(200, 9), blob);

    for (std::size_t size = 0; size < blob.size(); ++size) {
        std::vector<Posting> decoded;
        const Status status = decode(std::span<const std::uint8_t>(blob.data(), size), decoded);

        EXPECT_EQ(status.code(), StatusCode::kCorruption) << "prefix of " << size << " bytes";
    }
}

TEST(PostingsTest, FlippedBytesGiveCorruptionOrAValidListNeverACrash) {
    std::vector<std::uint8_t> blob;
    encode_postings(random_postings(150, 11), blob);
    int n_detected = 0;

    for (std::size_t pos = 0; pos < blob.size(); ++pos) {
        for (unsigned mask : {0x01U, 0x40U, 0x80U, 0xffU}) {
            std::vector<std::uint8_t> bad = blob;
            bad[pos] = static_cast<std::uint8_t>(bad[pos] ^ mask);
            std::vector<Posting> decoded;
            const Status status = decode(bad, decoded);
            if (!status.is_ok()) {
                EXPECT_EQ(status.code(), StatusCode::kCorruption);
                EXPECT_NE(status.message().find("lexical: posting list:"), std::string::npos);
                ++n_detected;
            }
        }
    }

    // Most flips break a delta, a bound or a varint boundary.
    EXPECT_GT(n_detected, static_cast<int>(blob.size()) * 2);
}

TEST(PostingsTest, HostileBlobsAreCorruption) {
    struct Case {
        const char* name;
        std::vector<std::uint8_t> bytes;
    };

    const std::vector<Case> cases = {
        {"empty", {}},
        {"zero count", {0x00}},
        {"count larger than the blob", {0x7f, 0x01, 0x01, 0x01}},
        {"last doc delta zero", {0x01, 0x00, 0x01, 0x00, 0x03, 0x00}},
        {"max tf zero", {0x01, 0x05, 0x00, 0x00, 0x0b, 0x00}},
        {"posting doc beyond the block's last doc", {0x01, 0x05, 0x01, 0x00, 0x0d, 0x00}},
        {"posting doc before the block's last doc", {0x01, 0x05, 0x01, 0x00, 0x09, 0x00}},
        {"tf above the block's max", {0x01, 0x05, 0x01, 0x00, 0x0a, 0x02, 0x00}},
        {"explicit tf of one", {0x01, 0x05, 0x02, 0x00, 0x0a, 0x01, 0x00}},
        {"length below the block's min", {0x01, 0x05, 0x01, 0x04, 0x0b, 0x01}},
        {"trailing bytes", {0x01, 0x05, 0x01, 0x00, 0x0b, 0x00, 0x00}},
        {"varint longer than 64 bits",
         {0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x00, 0x0b}},
    };
    for (const Case& c : cases) {
        std::vector<Posting> decoded;

        const Status status = decode(c.bytes, decoded);

        EXPECT_EQ(status.code(), StatusCode::kCorruption) << c.name;
    }
}

TEST(PostingsTest, WellFormedHandMadeBlobDecodes) {
    // One posting: doc 5, tf 1, length 0 -> count 1; directory (5, max_tf 1, min_len 0);
    // payload (5 << 1 | 1) = 11, length 0.
    const std::vector<std::uint8_t> blob = {0x01, 0x05, 0x01, 0x00, 0x0b, 0x00};
    std::vector<Posting> decoded;

    ASSERT_TRUE(decode(blob, decoded).is_ok());

    ASSERT_EQ(decoded.size(), 1U);
    EXPECT_EQ(decoded[0].doc_id, 5);
    EXPECT_EQ(decoded[0].tf, 1U);
}

}  // namespace
}  // namespace lore::retrieve
