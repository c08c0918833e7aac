// pack_weights: re-lays the matrices the active kernels read faster in the packed layout
// (kernels.h, "Packed weights") into one PageBuffer, and releases the file's pages of each
// as it goes, so that the weights are in memory once, not twice.
#include <vector>

#include "kernels/kernels.h"
#include "model/model_impl.h"

namespace lore::model {
namespace {

// Rows packed between two releases of the file's pages: bounds the extra memory of the
// load to one such chunk.
constexpr std::int64_t kChunkRows = 16 * kernels::kPackRows;

// Every matrix of the model, each once: a tied output matrix is token_embd.
std::vector<WeightMatrix*> all_matrices(ModelWeights& w) {
    std::vector<WeightMatrix*> out;
    for (LayerWeights& l : w.layers) {
        for (WeightMatrix* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) {
            out.push_back(m);
        }
    }
    out.push_back(&w.output);
    return out;
}

std::size_t round_up_64(std::size_t n) {
    return (n + 63) / 64 * 64;
}

void pack_matrix(const gguf::GgufFile& file, WeightMatrix& m, std::uint8_t* dst) {
    std::size_t released = 0;  // bytes of the source handed back so far
    for (std::int64_t r0 = 0; r0 < m.n_rows; r0 += kChunkRows) {
        const std::int64_t n = std::min(kChunkRows, m.n_rows - r0);
        const std::size_t offset = static_cast<std::size_t>(r0) * m.row_bytes;
        kernels::pack_rows(m.type, m.data + offset, m.row_bytes, n, dst + offset);
        const std::size_t done = offset + static_cast<std::size_t>(n) * m.row_bytes;
        file.release_pages({m.data + released, done - released});
        released = done / 4096 * 4096;
    }
    m.data = dst;
    m.packed = true;
}

}  // namespace

Result<PageBuffer> pack_weights(const gguf::GgufFile& file, ModelWeights& weights) {
    const kernels::KernelSet& set = kernels::active_kernels();
    std::vector<WeightMatrix*> to_pack;
    std::size_t total = 0;
    for (WeightMatrix* m : all_matrices(weights)) {
        if (kernels::should_pack(set, m->type, m->n_rows, m->n_cols)) {
            to_pack.push_back(m);
            total += round_up_64(m->row_bytes * static_cast<std::size_t>(m->n_rows));
        }
    }
    LORE_ASSIGN_OR_RETURN(PageBuffer buffer, PageBuffer::allocate(total, "packed weights"));
    std::size_t at = 0;
    const std::uint8_t* tied = weights.token_embd.data;
    for (WeightMatrix* m : to_pack) {
        const bool is_tied = m->data == tied;
        pack_matrix(file, *m, buffer.data() + at);
        if (is_tied) {
            weights.token_embd = *m;
        }
        at += round_up_64(m->row_bytes * static_cast<std::size_t>(m->n_rows));
    }
    return buffer;
}

}  // namespace lore::model
