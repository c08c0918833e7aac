#include "core/mapped_file.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lore {

namespace {

Status errno_status(const char* what, const std::filesystem::path& path, int err) {
    std::string msg = std::string("file: ") + what + " '" + path.string() +
                      "': " + std::strerror(err);  // NOLINT(concurrency-mt-unsafe)
    if (err == ENOENT) {
        return Status::not_found(std::move(msg));
    }
    return Status::io_error(std::move(msg));
}

// An open regular file: its descriptor, closed when this goes, and its size.
struct OpenFile {
    explicit OpenFile(int descriptor) : fd(descriptor) {}

    OpenFile(OpenFile&& other) noexcept : fd(other.fd), size(other.size) { other.fd = -1; }

    OpenFile& operator=(OpenFile&&) = delete;
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;

    ~OpenFile() {
        if (fd >= 0) {
            ::close(fd);
        }
    }

    int fd = -1;
    std::size_t size = 0;
};

// Opens `path` for reading; it must be a regular file.
Result<OpenFile> open_regular(const std::filesystem::path& path) {
    OpenFile file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.fd < 0) {
        return errno_status("cannot open", path, errno);
    }

    struct stat st {};

    if (::fstat(file.fd, &st) != 0) {
        return errno_status("cannot stat", path, errno);
    }
    if (!S_ISREG(st.st_mode)) {
        return Status::invalid_argument("file: '" + path.string() + "' is not a regular file");
    }
    file.size = static_cast<std::size_t>(st.st_size);
    return file;
}

}  // namespace

Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
    LORE_ASSIGN_OR_RETURN(const OpenFile opened, open_regular(path));
    MappedFile file;
    file.size_ = opened.size;
    if (file.size_ > 0) {
        void* addr = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, opened.fd, 0);
        if (addr == MAP_FAILED) {
            return errno_status("cannot map", path, errno);
        }
        file.data_ = static_cast<const std::uint8_t*>(addr);
        file.is_mapped_ = true;
    }
    return file;
}

Result<MappedFile> MappedFile::read(const std::filesystem::path& path) {
    LORE_ASSIGN_OR_RETURN(const OpenFile opened, open_regular(path));
    MappedFile file;
    file.size_ = opened.size;
    if (file.size_ == 0) {
        return file;
    }
    void* addr =
        ::mmap(nullptr, file.size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr == MAP_FAILED) {
        return errno_status("cannot allocate memory for", path, errno);
    }
    file.data_ = static_cast<const std::uint8_t*>(addr);
    file.is_mapped_ = true;  // unmapped by release() from here on, also on the errors below
    // Only a hint: without transparent huge pages the copy is still correct, just not faster.
    ::madvise(addr, file.size_, MADV_HUGEPAGE);
    auto* dst = static_cast<std::uint8_t*>(addr);
    std::size_t done = 0;
    while (done < file.size_) {
        const ssize_t n = ::read(opened.fd, dst + done, file.size_ - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return errno_status("cannot read", path, errno);
        }
        if (n == 0) {
            return Status::io_error("file: '" + path.string() + "' ended at byte " +
                                    std::to_string(done) + " of " + std::to_string(file.size_) +
                                    " while being read");
        }
        done += static_cast<std::size_t>(n);
    }
    ::mprotect(addr, file.size_, PROT_READ);
    return file;
}

MappedFile MappedFile::borrow(std::span<const std::uint8_t> bytes) {
    MappedFile file;
    file.data_ = bytes.data();
    file.size_ = bytes.size();
    return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(other.data_), size_(other.size_), is_mapped_(other.is_mapped_) {
    other.data_ = nullptr;
    other.size_ = 0;
    other.is_mapped_ = false;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        release();
        data_ = other.data_;
        size_ = other.size_;
        is_mapped_ = other.is_mapped_;
        other.data_ = nullptr;
        other.size_ = 0;
        other.is_mapped_ = false;
    }
    return *this;
}

MappedFile::~MappedFile() {
    release();
}

void MappedFile::release() {
    if (is_mapped_ && data_ != nullptr) {
        ::munmap(const_cast<std::uint8_t*>(data_), size_);  // NOLINT
    }
    data_ = nullptr;
    size_ = 0;
    is_mapped_ = false;
}

void MappedFile::release_pages(std::span<const std::uint8_t> range) const {
    if (!is_mapped_ || range.empty()) {
        return;
    }
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<std::uintptr_t>(range.data());
    const std::uintptr_t first = (begin + page - 1) / page * page;
    const std::uintptr_t last = (begin + range.size()) / page * page;
    if (first < last) {
        // Advice only: when it fails, the pages simply stay.
        ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
    }
}

Result<PageBuffer> PageBuffer::allocate(std::size_t size, std::string_view what) {
    PageBuffer buffer;
    if (size == 0) {
        return buffer;
    }
    void* addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr == MAP_FAILED) {
        return Status::resource_exhausted("memory: cannot allocate " + std::to_string(size) +
                                          " bytes for " + std::string(what) + ": " +
                                          std::strerror(errno));
    }
    ::madvise(addr, size, MADV_HUGEPAGE);  // a hint; correct without it
    buffer.data_ = static_cast<std::uint8_t*>(addr);
    buffer.size_ = size;
    return buffer;
}

PageBuffer::PageBuffer(PageBuffer&& other) noexcept : data_(other.data_), size_(other.size_) {
    other.data_ = nullptr;
    other.size_ = 0;
}

PageBuffer& PageBuffer::operator=(PageBuffer&& other) noexcept {
    if (this != &other) {
        if (data_ != nullptr) {
            ::munmap(data_, size_);
        }
        data_ = other.data_;
        size_ = other.size_;
        other.data_ = nullptr;
        other.size_ = 0;
    }
    return *this;
}

PageBuffer::~PageBuffer() {
    if (data_ != nullptr) {
        ::munmap(data_, size_);
    }
}

}  // namespace lore
