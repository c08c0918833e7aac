// The synthetic world: a deterministic generator of fictional people, companies,
// universities and cities, their facts with validity dates, a knowledge-base corpus, the
// training text of the bundled model (models/world-tiny.gguf) and question sets per split.
// The same options give the same bytes on every machine. File formats: docs/formats/world.md.
//
// Thread safety: free functions without shared state; safe to call from many threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lore/result.h"

namespace lore::world {

struct WorldOptions {
    // Another seed is another world with other people.
    std::uint64_t seed = 1;
    // People in the training text (the model knows them).
    int n_known = 350;
    // People only in the knowledge base.
    int n_unknown = 350;
    // Known people whose employer or city changed after the cut-off (at most n_known / 2).
    int n_updated = 72;
    // People used only in the training text's open-book reading examples.
    int n_readers = 300;
    int n_countries = 6;
    int n_cities = 36;
    int n_universities = 12;
    int n_companies = 40;
    // The training snapshot's date, "YYYY-MM-DD"; updates begin after it.
    std::string cutoff = "2024-06-30";
};

// One output file: `path` relative to the output directory, with '/' separators.
struct WorldFile {
    std::string path;
    std::string content;
};

// All files of the world, sorted by path. Fails with kInvalidArgument (naming the option and
// value) when a count is out of range or the cut-off is not a valid date.
Result<std::vector<WorldFile>> generate_world_files(const WorldOptions& options);

// Writes `files` under `out_dir`, creating folders. Fails with kIoError naming the path.
Status write_world_files(std::span<const WorldFile> files, const std::filesystem::path& out_dir);

// The question format the model is trained on: "Q: <question>\nA:". The answer follows as
// " <answer>\n".
std::string closed_book_prompt(std::string_view question);

// The open-book format the model is trained on: one line "[i] <passage>" per passage
// (i from 1; newlines inside a passage become spaces), then the closed-book prompt.
std::string open_book_prompt(std::span<const std::string> passages, std::string_view question);

}  // namespace lore::world
