#include "core/mapped_file.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace lore
