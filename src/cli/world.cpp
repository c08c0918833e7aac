// `lore world generate --seed S --out DIR [--persons N ...]`: writes a synthetic world (the
// knowledge-base corpus, triples, the model's training text and the question splits).
// Formats: docs/formats/world.md.
#include "lore/world.h"

#include <cstdio>
#include <string>

#include "cli/commands.h"

namespace lore::cli {

void add_world_command(CLI::App& app, CommandContext& ctx) {
    CLI::App* world =
        app.add_subcommand("world", "Synthetic world: the testbed of fictional facts");
    world->require_subcommand(1);
    CLI::App* generate =
        world->add_subcommand("generate", "Write a world (same seed, same bytes) into a folder");

    struct Args {
        lore::world::WorldOptions options;
        std::string out;
    };

    auto args = std::make_shared<Args>();
    generate->add_option("--seed", args->options.seed, "World seed (another seed, other people)")
        ->capture_default_str();
    generate->add_option("--out", args->out, "Output folder")->required();
    generate->add_option("--persons", args->options.n_known, "People the model is trained on")
        ->capture_default_str();
    generate->add_option("--unknown", args->options.n_unknown, "People only in the knowledge base")
        ->capture_default_str();
    generate
        ->add_option("--updated", args->options.n_updated,
                     "Known people whose employer or city changed after the cut-off")
        ->capture_default_str();
    generate
        ->add_option("--readers", args->options.n_readers,
                     "People used only in the training text's open-book examples")
        ->capture_default_str();
    generate->add_option("--companies", args->options.n_companies, "Companies")
        ->capture_default_str();
    generate->add_option("--cities", args->options.n_cities, "Cities")->capture_default_str();
    generate->add_option("--cutoff", args->options.cutoff, "Training cut-off date, YYYY-MM-DD")
        ->capture_default_str();

    generate->callback([args, &ctx]() {
        Result<std::vector<lore::world::WorldFile>> files =
            lore::world::generate_world_files(args->options);
        Status status = files.status();
        if (files.has_value()) {
            status = lore::world::write_world_files(*files, args->out);
        }
        if (!status.is_ok()) {
            std::fprintf(stderr, "lore: %s\n", status.to_string().c_str());
            ctx.exit_code = status.to_exit_code();
            return;
        }
        std::printf("wrote %zu files to %s\n", files->size(), args->out.c_str());
    });
}

}  // namespace lore::cli
