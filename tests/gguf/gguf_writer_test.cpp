// GgufWriter: argument checks, key replacement, and the atomic write to disk.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <gtest/gtest.h>

#include "lore/gguf.h"

namespace lore::gguf {
namespace {

TEST(GgufWriterTest, RejectsDataThatDoesNotMatchTheShape) {
    GgufWriter writer;
    std::vector<std::uint8_t> data(10);

    Status status = writer.add_tensor("w", TensorType::kF32, {3}, data);

    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("'w'"), std::string::npos);
}

TEST(GgufWriterTest, RejectsRowsThatAreNotWholeBlocks) {
    GgufWriter writer;
    std::vector<std::uint8_t> data(34);

    Status status = writer.add_tensor("q", TensorType::kQ8_0, {16, 2}, data);

    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("block size 32"), std::string::npos);
}

TEST(GgufWriterTest, RejectsDuplicateTensorNamesAndBadDimensions) {
    GgufWriter writer;
    std::vector<std::uint8_t> data(4);
    ASSERT_TRUE(writer.add_tensor("t", TensorType::kF32, {1}, data).is_ok());

    EXPECT_EQ(writer.add_tensor("t", TensorType::kF32, {1}, data).code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(writer.add_tensor("u", TensorType::kF32, {1, 1, 1, 1, 1}, data).code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(writer.add_tensor("v", TensorType::kF32, {0}, std::span<const std::uint8_t>()).code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(writer.add_tensor("w", static_cast<TensorType>(99), {1}, data).code(),
              StatusCode::kInvalidArgument);
}

TEST(GgufWriterTest, SettingAKeyTwiceKeepsTheLastValueInTheFirstPlace) {
    GgufWriter writer;
    writer.set_u32("a", 1);
    writer.set_string("b", "x");
    writer.set_u32("a", 2);

    std::vector<std::uint8_t> bytes = writer.bytes();
    Result<GgufFile> file = GgufFile::parse(bytes);

    ASSERT_TRUE(file.has_value()) << file.status().to_string();
    ASSERT_EQ(file->metadata().size(), 2u);
    EXPECT_EQ(file->metadata()[0].key, "a");
    EXPECT_EQ(file->get_int("a").value(), 2);
}

TEST(GgufWriterTest, FileSizeIsPaddedToTheAlignment) {
    GgufWriter writer;
    std::vector<std::uint8_t> data(12);
    ASSERT_TRUE(writer.add_tensor("t", TensorType::kF32, {3}, data).is_ok());

    std::vector<std::uint8_t> bytes = writer.bytes();

    EXPECT_EQ(bytes.size() % 32, 0u);
}

TEST(GgufWriterTest, WriteProducesTheSameBytesAndLeavesNoTemporaryFile) {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "lore_gguf_writer_test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::filesystem::path path = dir / "model.gguf";
    GgufWriter writer;
    writer.set_string("general.architecture", "llama");
    std::vector<std::uint8_t> data = {1, 2, 3, 4, 5, 6, 7, 8};
    ASSERT_TRUE(writer.add_tensor("t", TensorType::kF16, {4}, data).is_ok());

    Status status = writer.write(path);

    ASSERT_TRUE(status.is_ok()) << status.to_string();
    std::ifstream in(path, std::ios::binary);
    std::vector<std::uint8_t> on_disk((std::istreambuf_iterator<char>(in)),
                                      std::istreambuf_iterator<char>());
    EXPECT_EQ(on_disk, writer.bytes());
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                            std::filesystem::directory_iterator()),
              1);
    Result<GgufFile> file = GgufFile::open(path);
    ASSERT_TRUE(file.has_value()) << file.status().to_string();
    EXPECT_EQ(file->find_tensor("t")->data[7], 8);
    std::filesystem::remove_all(dir);
}

TEST(GgufWriterTest, WriteIntoAMissingDirectoryIsAnIoError) {
    GgufWriter writer;

    Status status = writer.write("/nonexistent-lore-dir/model.gguf");

    EXPECT_EQ(status.code(), StatusCode::kIoError);
    EXPECT_NE(status.message().find("nonexistent-lore-dir"), std::string::npos);
}

}  // namespace
}  // namespace lore::gguf
