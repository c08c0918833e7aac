// The public entry points of include/lore/world.h: generation, writing, prompt formats.
#include "lore/world.h"

#include <fstream>
#include <system_error>

#include "world/world_model.h"

namespace lore::world {

Result<std::vector<WorldFile>> generate_world_files(const WorldOptions& options) {
    LORE_ASSIGN_OR_RETURN(World world, build_world(options));
    return render_world(world);
}

Status write_world_files(std::span<const WorldFile> files, const std::filesystem::path& out_dir) {
    for (const WorldFile& file : files) {
        const std::filesystem::path path = out_dir / file.path;
        std::error_code ec;
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) {
            return Status::io_error("world: cannot create folder " + path.parent_path().string() +
                                    ": " + ec.message());
        }
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(file.content.data(), static_cast<std::streamsize>(file.content.size()));
        out.close();
        if (!out) {
            return Status::io_error("world: cannot write " + path.string());
        }
    }
    return Status::ok();
}

std::string closed_book_prompt(std::string_view question) {
    std::string prompt = "Q: ";
    prompt.append(question);
    prompt += "\nA:";
    return prompt;
}

std::string open_book_prompt(std::span<const std::string> passages, std::string_view question) {
    std::string prompt;
    for (std::size_t i = 0; i < passages.size(); ++i) {
        std::string passage = passages[i];
        for (char& c : passage) {
            if (c == '\n' || c == '\r') {
                c = ' ';
            }
        }
        prompt += '[';
        prompt += std::to_string(i + 1);
        prompt += "] ";
        prompt += passage;
        prompt += '\n';
    }
    return prompt + closed_book_prompt(question);
}

}  // namespace lore::world
