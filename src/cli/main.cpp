// lore: the command-line interface. One subcommand per file; see commands.h.
#include <cstdio>

#include "lore/version.h"

#include "cli/commands.h"

int main(int argc, char** argv) {
    CLI::App app{"lore: a local language-model engine grounded in external knowledge"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("lore ") + lore::kVersionString);

    lore::cli::CommandContext ctx;
    // Subcommands, one line each (commands.h).
    lore::cli::add_generate_command(app, ctx);
    lore::cli::add_bench_command(app, ctx);
    lore::cli::add_ask_command(app, ctx);
    lore::cli::add_calibrate_command(app, ctx);
    lore::cli::add_eval_command(app, ctx);
    lore::cli::add_tokenize_command(app, ctx);
    lore::cli::add_inspect_command(app, ctx);
    lore::cli::add_world_command(app, ctx);
    lore::cli::add_ingest_command(app, ctx);
    lore::cli::add_search_command(app, ctx);
    lore::cli::add_kb_command(app, ctx);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return ctx.exit_code;
}
