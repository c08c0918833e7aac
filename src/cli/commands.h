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


}  // namespace lore::cli
