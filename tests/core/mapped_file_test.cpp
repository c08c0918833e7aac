#include "core/mapped_file.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace lore {
namespace {

TEST(MappedFileTest, MapsTheWholeFile) {
    std::filesystem::path path = std::filesystem::temp_directory_path() / "lore_mapped_file_test";
    {
        std::ofstream out(path, std::ios::binary);
        out << "hello, map";
    }

    Result<MappedFile> file = MappedFile::open(path);

    ASSERT_TRUE(file.has_value()) << file.status().to_string();
    EXPECT_EQ(file->size(), 10u);
    EXPECT_EQ(file->bytes()[7], 'm');
    std::filesystem::remove(path);
}

TEST(MappedFileTest, MissingFileIsNotFoundAndNamesThePath) {
    Result<MappedFile> file = MappedFile::open("/nonexistent/lore/model.gguf");

    ASSERT_FALSE(file.has_value());
    EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
    EXPECT_NE(file.status().message().find("/nonexistent/lore/model.gguf"), std::string::npos);
}

TEST(MappedFileTest, DirectoryIsRejected) {
    Result<MappedFile> file = MappedFile::open(std::filesystem::temp_directory_path());

    ASSERT_FALSE(file.has_value());
    EXPECT_EQ(file.status().code(), StatusCode::kInvalidArgument);
}

TEST(MappedFileTest, ReadCopiesTheSameBytesAsTheMap) {
    std::filesystem::path path = std::filesystem::temp_directory_path() / "lore_read_file_test";
    std::string text;
    for (int i = 0; i < 100000; ++i) {
        text.push_back(static_cast<char>('a' + i % 26));
    }
    {
        std::ofstream out(path, std::ios::binary);
        out << text;
    }

    Result<MappedFile> mapped = MappedFile::open(path);
    Result<MappedFile> read = MappedFile::read(path);

    ASSERT_TRUE(mapped.has_value()) << mapped.status().to_string();
    ASSERT_TRUE(read.has_value()) << read.status().to_string();
    ASSERT_EQ(read->size(), text.size());
    EXPECT_TRUE(std::equal(read->bytes().begin(), read->bytes().end(), mapped->bytes().begin()));
    std::filesystem::remove(path);
}

TEST(MappedFileTest, ReadOfAnEmptyFileIsEmpty) {
    std::filesystem::path path = std::filesystem::temp_directory_path() / "lore_read_empty_test";
    { std::ofstream out(path, std::ios::binary); }

    Result<MappedFile> file = MappedFile::read(path);

    ASSERT_TRUE(file.has_value()) << file.status().to_string();
    EXPECT_EQ(file->size(), 0u);
    std::filesystem::remove(path);
}

TEST(MappedFileTest, ReadFailsLikeOpen) {
    Result<MappedFile> missing = MappedFile::read("/nonexistent/lore/model.gguf");
    Result<MappedFile> directory = MappedFile::read(std::filesystem::temp_directory_path());

    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_NE(missing.status().message().find("/nonexistent/lore/model.gguf"), std::string::npos);
    ASSERT_FALSE(directory.has_value());
    EXPECT_EQ(directory.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lore
