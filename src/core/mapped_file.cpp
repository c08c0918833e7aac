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

// Opens `path` for reading and returns its descriptor and size; it must be a regular file.
Result<std::pair<int, std::size_t>> open_regular(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno_status("cannot open", path, errno);
    }

    struct stat st {};

    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        return errno_status("cannot stat", path, err);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return Status::invalid_argument("file: '" + path.string() + "' is not a regular file");
    }
    return std::pair<int, std::size_t>{fd, static_cast<std::size_t>(st.st_size)};
}

}  // namespace

Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
    LORE_ASSIGN_OR_RETURN(auto opened, open_regular(path));
    const int fd = opened.first;
    MappedFile file;
    file.size_ = opened.second;
    if (file.size_ > 0) {
        void* addr = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (addr == MAP_FAILED) {
            int err = errno;
            ::close(fd);
            return errno_status("cannot map", path, err);
        }
        file.data_ = static_cast<const std::uint8_t*>(addr);
        file.is_mapped_ = true;
    }
    ::close(fd);
    return file;
}

Result<MappedFile> MappedFile::read(const std::filesystem::path& path) {
    LORE_ASSIGN_OR_RETURN(auto opened, open_regular(path));
    const int fd = opened.first;
    MappedFile file;
    file.size_ = opened.second;
    if (file.size_ == 0) {
        ::close(fd);
        return file;
    }
    void* addr =
        ::mmap(nullptr, file.size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        return errno_status("cannot allocate memory for", path, err);
    }
    file.data_ = static_cast<const std::uint8_t*>(addr);
    file.is_mapped_ = true;  // unmapped by release() from here on, also on the errors below
    // Only a hint: without transparent huge pages the copy is still correct, just not faster.
    ::madvise(addr, file.size_, MADV_HUGEPAGE);
    auto* dst = static_cast<std::uint8_t*>(addr);
    std::size_t done = 0;
    while (done < file.size_) {
        const ssize_t n = ::read(fd, dst + done, file.size_ - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int err = n < 0 ? errno : 0;
            ::close(fd);
            if (err != 0) {
                return errno_status("cannot read", path, err);
            }
            return Status::io_error("file: '" + path.string() + "' ended at byte " +
                                    std::to_string(done) + " of " + std::to_string(file.size_) +
                                    " while being read");
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
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

}  // namespace lore
