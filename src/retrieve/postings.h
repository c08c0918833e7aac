// Posting-list codec of lore's lexical index (issue 5): one term's postings in one segment,
// in blocks of up to kPostingBlockSize postings, each block with the bounds block-max WAND
// needs to skip it without decoding it. Byte layout (all integers LEB128 varints, unsigned):
//
//   n_postings                                  >= 1
//   block directory, one entry per block (n_blocks = ceil(n_postings / kPostingBlockSize)):
//     last_doc_delta                            last doc id minus the previous block's (0 first)
//     max_tf                                    largest term frequency in the block
//     min_len                                   smallest document length (in terms) in the block
//     payload_bytes                             absent for the last block (it takes the rest)
//   payloads, one per block, back to back; per posting:
//     (doc_delta << 1) | (tf == 1)              doc_delta = doc id minus the previous doc id
//                                               (the previous block's last, 0 for the first)
//     tf                                        only when tf != 1
//     doc_len                                   the document's length in indexed terms
//
// Every block but the last holds exactly kPostingBlockSize postings. Doc ids are chunk ids
// (>= 1), strictly increasing. max_tf and min_len bound every BM25 contribution in the block
// whatever the corpus statistics (BM25 grows with tf and shrinks with length), so they stay
// valid as the KB grows. Decoding validates everything: a damaged blob is kCorruption, never a
// crash or an out-of-range read.
//
// Thread safety: PostingList is a read-only view; safe to share if the bytes stay alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "lore/status.h"

namespace lore::retrieve {

inline constexpr std::uint32_t kPostingBlockSize = 128;

struct Posting {
    std::int64_t doc_id = 0;
    std::uint32_t tf = 0;
    std::uint32_t doc_len = 0;
};

// Appends the encoding of `postings` to `out`.
// REQUIRES: postings non-empty, doc ids >= 1 and strictly increasing, tf >= 1.
void encode_postings(std::span<const Posting> postings, std::vector<std::uint8_t>& out);

// Appends a LEB128 varint. Shared by the segment format (doc-length tables).
void put_varint(std::uint64_t value, std::vector<std::uint8_t>& out);

// Reads a varint at `pos`, advancing it; false when the bytes end first or it exceeds 64 bits.
bool get_varint(std::span<const std::uint8_t> bytes, std::size_t& pos, std::uint64_t& value);

struct PostingBlock {
    std::int64_t first_doc_base = 0;  // the previous block's last doc id (0 for the first)
    std::int64_t last_doc = 0;
    std::uint32_t max_tf = 0;
    std::uint32_t min_len = 0;
    std::uint32_t n_postings = 0;
    std::size_t begin = 0;  // payload byte range in the blob
    std::size_t end = 0;
};

// A parsed posting list: the directory decoded, payloads decoded block by block on demand.
// Borrows the blob: the caller keeps the bytes alive and unchanged while the view is used.
class PostingList {
public:
    // Parses the header and directory of `blob`. Fails with kCorruption on any inconsistency
    // ("lexical: posting list: <what> at byte N"; callers add the term and segment).
    static Status parse(std::span<const std::uint8_t> blob, PostingList& out);

    std::uint32_t n_postings() const { return n_postings_; }

    std::size_t n_blocks() const { return blocks_.size(); }

    const PostingBlock& block(std::size_t block_idx) const { return blocks_[block_idx]; }

    // Decodes block `block_idx` into arrays of at least kPostingBlockSize entries. Checks
    // that the payload holds exactly the block's postings, increasing, within its bounds.
    Status decode_block(std::size_t block_idx,
                        std::int64_t* doc_ids,
                        std::uint32_t* tfs,
                        std::uint32_t* doc_lens) const;

    // Decodes every posting, appending to `out`.
    Status decode_all(std::vector<Posting>& out) const;

private:
    Status corrupt(const char* detail, std::size_t pos) const;

    std::span<const std::uint8_t> blob_;
    std::uint32_t n_postings_ = 0;
    std::vector<PostingBlock> blocks_;
};

}  // namespace lore::retrieve
