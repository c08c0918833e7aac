// The lore CLI's subcommands. Each lives in its own file and adds itself to the app; the
// callback it installs runs the command and sets `exit_code`. Commands use only the public
// API in include/lore/.
#pragma once

#include <CLI/CLI.hpp>

namespace lore::cli {

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
