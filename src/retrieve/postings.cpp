// Posting-list codec: varint blocks with a directory in front (layout in postings.h).
// Varints rather than bit-packing: man-page postings are mostly tf = 1 with small gaps, so
// the (delta << 1 | tf==1) trick keeps most postings at 2 bytes (gap + length), and block
// decoding is not where query time goes (lists are skipped a block at a time).
#include "retrieve/postings.h"

#include <algorithm>
#include <limits>
#include <string>

namespace lore::retrieve {

void put_varint(std::uint64_t value, std::vector<std::uint8_t>& out) {
    while (value >= 0x80) {
        out.push_back(static_cast<std::uint8_t>(value | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(value));
}

bool get_varint(std::span<const std::uint8_t> bytes, std::size_t& pos, std::uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= bytes.size()) {
            return false;
        }
        const std::uint8_t byte = bytes[pos++];
        const std::uint64_t bits = byte & 0x7fU;
        if (shift == 63 && bits > 1) {
            return false;  // more than 64 bits
        }
        value |= bits << shift;
        if ((byte & 0x80) == 0) {
            return true;
        }
    }
    return false;
}

void encode_postings(std::span<const Posting> postings, std::vector<std::uint8_t>& out) {
    const std::size_t n = postings.size();
    put_varint(n, out);
    std::int64_t prev_last = 0;
    // Directory first: it needs each payload's size, so payloads go to a scratch buffer.
    std::vector<std::uint8_t> payloads;
    std::vector<std::size_t> payload_ends;
    for (std::size_t begin = 0; begin < n; begin += kPostingBlockSize) {
        const std::size_t end = std::min(n, begin + kPostingBlockSize);
        std::uint32_t max_tf = 0;
        std::uint32_t min_len = std::numeric_limits<std::uint32_t>::max();
        std::int64_t prev = prev_last;
        for (std::size_t idx = begin; idx < end; ++idx) {
            const Posting& p = postings[idx];
            max_tf = std::max(max_tf, p.tf);
            min_len = std::min(min_len, p.doc_len);
            const auto delta = static_cast<std::uint64_t>(p.doc_id - prev);
            put_varint((delta << 1) | (p.tf == 1 ? 1U : 0U), payloads);
            if (p.tf != 1) {
                put_varint(p.tf, payloads);
            }
            put_varint(p.doc_len, payloads);
            prev = p.doc_id;
        }
        put_varint(static_cast<std::uint64_t>(prev - prev_last), out);
        put_varint(max_tf, out);
        put_varint(min_len, out);
        const std::size_t payload_begin = payload_ends.empty() ? 0 : payload_ends.back();
        payload_ends.push_back(payloads.size());
        if (end < n) {
            put_varint(payloads.size() - payload_begin, out);
        }
        prev_last = prev;
    }
    out.insert(out.end(), payloads.begin(), payloads.end());
}

Status PostingList::corrupt(const char* detail, std::size_t pos) const {
    return Status::corruption(std::string("lexical: posting list: ") + detail + " at byte " +
                              std::to_string(pos) + " of " + std::to_string(blob_.size()));
}

Status PostingList::parse(std::span<const std::uint8_t> blob, PostingList& out) {
    out.blob_ = blob;
    out.blocks_.clear();
    out.n_postings_ = 0;
    std::size_t pos = 0;
    std::uint64_t n = 0;
    if (!get_varint(blob, pos, n)) {
        return out.corrupt("truncated count", pos);
    }
    if (n == 0 || n > blob.size()) {  // every posting takes at least two bytes
        return out.corrupt(("bad count " + std::to_string(n)).c_str(), 0);
    }
    out.n_postings_ = static_cast<std::uint32_t>(n);
    const std::size_t n_blocks = (n + kPostingBlockSize - 1) / kPostingBlockSize;
    out.blocks_.resize(n_blocks);
    std::int64_t prev_last = 0;
    std::uint64_t payload_total = 0;
    for (std::size_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
        PostingBlock& block = out.blocks_[block_idx];
        std::uint64_t last_delta = 0;
        std::uint64_t max_tf = 0;
        std::uint64_t min_len = 0;
        std::uint64_t size = 0;
        const bool is_last = block_idx + 1 == n_blocks;
        if (!get_varint(blob, pos, last_delta) || !get_varint(blob, pos, max_tf) ||
            !get_varint(blob, pos, min_len) || (!is_last && !get_varint(blob, pos, size))) {
            return out.corrupt("truncated block directory", pos);
        }
        const auto max_doc = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        if (last_delta == 0 || last_delta > max_doc - static_cast<std::uint64_t>(prev_last)) {
            return out.corrupt("block last doc out of order", pos);
        }
        if (max_tf == 0 || max_tf > std::numeric_limits<std::uint32_t>::max() ||
            min_len > std::numeric_limits<std::uint32_t>::max()) {
            return out.corrupt("bad block bounds", pos);
        }
        if (!is_last && (size == 0 || size > blob.size())) {
            return out.corrupt("bad block size", pos);
        }
        block.first_doc_base = prev_last;
        block.last_doc = prev_last + static_cast<std::int64_t>(last_delta);
        block.max_tf = static_cast<std::uint32_t>(max_tf);
        block.min_len = static_cast<std::uint32_t>(min_len);
        block.n_postings = is_last ? static_cast<std::uint32_t>(n - block_idx * kPostingBlockSize)
                                   : kPostingBlockSize;
        block.end = size;  // payload size for now; offsets fixed below
        payload_total += size;
        prev_last = block.last_doc;
    }
    if (payload_total > blob.size() - pos) {
        return out.corrupt("block sizes exceed the blob", pos);
    }
    std::size_t offset = pos;
    for (std::size_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
        PostingBlock& block = out.blocks_[block_idx];
        block.begin = offset;
        block.end = block_idx + 1 == n_blocks ? blob.size() : offset + block.end;
        offset = block.end;
    }
    if (out.blocks_.back().begin >= blob.size()) {
        return out.corrupt("empty last block", out.blocks_.back().begin);
    }
    return Status::ok();
}

Status PostingList::decode_block(std::size_t block_idx,
                                 std::int64_t* doc_ids,
                                 std::uint32_t* tfs,
                                 std::uint32_t* doc_lens) const {
    const PostingBlock& block = blocks_[block_idx];
    const std::span<const std::uint8_t> bytes = blob_.first(block.end);
    std::size_t pos = block.begin;
    std::int64_t prev = block.first_doc_base;
    for (std::uint32_t idx = 0; idx < block.n_postings; ++idx) {
        std::uint64_t head = 0;
        std::uint64_t tf = 1;
        std::uint64_t len = 0;
        if (!get_varint(bytes, pos, head)) {
            return corrupt("truncated posting", pos);
        }
        if ((head & 1U) == 0 && (!get_varint(bytes, pos, tf) || tf < 2)) {
            return corrupt("bad term frequency", pos);
        }
        if (!get_varint(bytes, pos, len)) {
            return corrupt("truncated document length", pos);
        }
        const std::uint64_t delta = head >> 1;
        if (delta == 0 || delta > static_cast<std::uint64_t>(block.last_doc - prev)) {
            return corrupt("doc id out of order", pos);
        }
        if (tf > block.max_tf || len < block.min_len || len > 0xffffffffU) {
            return corrupt("posting outside its block's bounds", pos);
        }
        prev += static_cast<std::int64_t>(delta);
        doc_ids[idx] = prev;
        tfs[idx] = static_cast<std::uint32_t>(tf);
        doc_lens[idx] = static_cast<std::uint32_t>(len);
    }
    if (pos != block.end || prev != block.last_doc) {
        return corrupt("block payload does not match its directory entry", pos);
    }
    return Status::ok();
}

Status PostingList::decode_all(std::vector<Posting>& out) const {
    std::int64_t doc_ids[kPostingBlockSize];
    std::uint32_t tfs[kPostingBlockSize];
    std::uint32_t lens[kPostingBlockSize];
    out.reserve(out.size() + n_postings_);
    for (std::size_t block_idx = 0; block_idx < blocks_.size(); ++block_idx) {
        LORE_RETURN_IF_ERROR(decode_block(block_idx, doc_ids, tfs, lens));
        for (std::uint32_t idx = 0; idx < blocks_[block_idx].n_postings; ++idx) {
            out.push_back({doc_ids[idx], tfs[idx], lens[idx]});
        }
    }
    return Status::ok();
}

}  // namespace lore::retrieve
