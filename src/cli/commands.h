// The lore CLI's subcommands. Each lives in its own file and adds itself to the app; the
// callback it installs runs the command and sets `exit_code`. Commands use only the public
// API in include/lore/.
#pragma once

#include <CLI/CLI.hpp>

#include "lore/engine.h"

namespace lore::cli {

// --no-mmap, for every command that runs a decoder model.
inline void add_no_mmap_flag(CLI::App* cmd, bool* no_mmap) {
    cmd->add_flag("--no-mmap", *no_mmap,
                  "Read the weights into memory in 2 MB pages instead of mapping the file: a "
                  "slower start, faster generation on large models, no sharing between processes");
}

inline ModelOptions model_options(bool no_mmap) {
    ModelOptions options;
    options.use_mmap = !no_mmap;
    return options;
}

// Shared by every command: the process exit code the command chose.
struct CommandContext {
    int exit_code = 0;
};

void add_inspect_command(CLI::App& app, CommandContext& ctx);
void add_world_command(CLI::App& app, CommandContext& ctx);
void add_ingest_command(CLI::App& app, CommandContext& ctx);
void add_search_command(CLI::App& app, CommandContext& ctx);
void add_kb_command(CLI::App& app, CommandContext& ctx);

void add_generate_command(CLI::App& app, CommandContext& ctx);
void add_bench_command(CLI::App& app, CommandContext& ctx);
void add_tokenize_command(CLI::App& app, CommandContext& ctx);

void add_ask_command(CLI::App& app, CommandContext& ctx);
void add_calibrate_command(CLI::App& app, CommandContext& ctx);
void add_eval_command(CLI::App& app, CommandContext& ctx);

}  // namespace lore::cli
