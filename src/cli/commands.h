// The lore CLI's subcommands. Each lives in its own file and adds itself to the app; the
// callback it installs runs the command and sets `exit_code`. Commands use only the public
// API in include/lore/.
#pragma once

#include <CLI/CLI.hpp>

#include "lore/engine.h"

namespace lore::cli {

// How a command that runs a decoder model loads it: --no-mmap and --no-pack.
struct LoadFlags {
    bool no_mmap = false;
    bool no_pack = false;
};

inline void add_load_flags(CLI::App* cmd, LoadFlags* flags) {
    cmd->add_flag("--no-mmap", flags->no_mmap,
                  "Read the whole file into memory in 2 MB pages instead of mapping it (with "
                  "--no-pack: faster generation than the map, slower start)");
    cmd->add_flag("--no-pack", flags->no_pack,
                  "Use the weights where they were loaded, in the file's layout, instead of "
                  "copying them into 2 MB pages and re-laying quantized ones for the kernels "
                  "(a faster start, slower generation; for comparisons)");
}

inline ModelOptions model_options(const LoadFlags& flags) {
    ModelOptions options;
    options.use_mmap = !flags.no_mmap;
    options.pack_weights = !flags.no_pack;
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
