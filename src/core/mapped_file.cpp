#include "core/mapped_file.h"

#include <cerrno>
#include <cstring>
#include <string>

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

}  // namespace

Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
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
    MappedFile file;
    file.size_ = static_cast<std::size_t>(st.st_size);
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
