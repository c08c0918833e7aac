// MappedFile: a read-only memory map of a whole file. Model weights are used straight from
// the map, never copied, so RSS after load is what the forward pass touches. read() is the
// alternative for speed: the file is copied into private memory in 2 MB pages.
//
// Thread safety: immutable after open(); bytes() is safe to read from many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "lore/result.h"

namespace lore {

class MappedFile {
public:
    // Maps `path` read-only. Fails with kNotFound / kIoError naming the path and errno text.
    // An empty file maps to an empty span.
    static Result<MappedFile> open(const std::filesystem::path& path);

    // Reads `path` into private, read-only memory, asking the kernel for transparent huge
    // pages (MADV_HUGEPAGE). A pass over the bytes then walks 2 MB pages, not the file map's
    // 4 KB ones, with far fewer TLB misses: generation of an F16 model ran 7-10 % faster on
    // one thread. Costs: the load reads the whole file, and processes do not share the pages.
    // Fails like open(), and with kIoError when the file shrinks while being read.
    static Result<MappedFile> read(const std::filesystem::path& path);

    // Wraps bytes owned elsewhere (tests, fuzzers). The caller keeps `bytes` alive.
    static MappedFile borrow(std::span<const std::uint8_t> bytes);

    MappedFile() = default;
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    std::span<const std::uint8_t> bytes() const { return {data_, size_}; }

    std::size_t size() const { return size_; }

    // Drops the whole pages inside `range` (a part of bytes()) from this process's memory;
    // the caller promises not to read them again. A map would read them from the file again;
    // read()'s memory would read back as zeros. Borrowed bytes are left alone. Loading
    // uses it once the weights have been re-laid elsewhere, so that both copies never add up.
    void release_pages(std::span<const std::uint8_t> range) const;

private:
    void release();

    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    bool is_mapped_ = false;  // true when data_ came from mmap and must be unmapped
};

// Private, zero-filled memory of a fixed size in transparent huge pages when the kernel
// grants them (2 MB pages: a pass over it misses the TLB far less than over a file map).
// Holds the weights that loading re-lays for the kernels. Move-only; unmapped on destruction.
class PageBuffer {
public:
    // Fails with kResourceExhausted naming `what` and the size when memory is short.
    static Result<PageBuffer> allocate(std::size_t size, std::string_view what);

    PageBuffer() = default;
    PageBuffer(PageBuffer&& other) noexcept;
    PageBuffer& operator=(PageBuffer&& other) noexcept;
    PageBuffer(const PageBuffer&) = delete;
    PageBuffer& operator=(const PageBuffer&) = delete;
    ~PageBuffer();

    std::uint8_t* data() const { return data_; }

    std::size_t size() const { return size_; }

private:
    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace lore
