// lore generate: run a prompt through a model and stream the continuation to stdout.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "lore/engine.h"

#include "cli/commands.h"

namespace lore::cli {

namespace {

struct GenerateArgs {
    std::string model_path;
    LoadFlags load;
    std::string prompt;
    std::string system;
    int n_predict = 128;
    float temperature = -1.0f;  // unset: greedy unless another sampling option is given
    int top_k = -1;
    float top_p = -1.0f;
    float min_p = -1.0f;
    float repeat_penalty = 1.0f;
    long long seed = -1;
    int n_logprobs = 0;
    int n_threads = 0;
    int n_ctx = 0;
    bool is_chat = false;
    bool is_verbose = false;
    std::vector<std::string> stop;
};

SamplerOptions sampler_options(const GenerateArgs& args) {
    SamplerOptions s;
    const bool wants_sampling = args.temperature > 0.0f || args.top_k > 0 || args.top_p > 0.0f ||
                                args.min_p > 0.0f || args.seed >= 0;
    s.temperature = args.temperature >= 0.0f ? args.temperature : (wants_sampling ? 0.8f : 0.0f);
    s.top_k = std::max(0, args.top_k);
    s.top_p = args.top_p > 0.0f ? args.top_p : 1.0f;
    s.min_p = std::max(0.0f, args.min_p);
    s.repeat_penalty = args.repeat_penalty;
    s.seed = args.seed >= 0 ? static_cast<std::uint64_t>(args.seed) : 0;
    return s;
}

std::string printable_piece(const Tokenizer& tokenizer, TokenId id) {
    std::string piece = tokenizer.token_to_piece(id, true);
    std::string out;
    for (char c : piece) {
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else {
            out += c;
        }
    }
    return out;
}

int run_generate(const GenerateArgs& args) {
    Result<std::shared_ptr<const Model>> model =
        Model::load(args.model_path, model_options(args.load));
    if (!model.has_value()) {
        std::fprintf(stderr, "lore generate: %s\n", model.status().to_string().c_str());
        return model.status().to_exit_code();
    }
    const Tokenizer& tokenizer = (*model)->tokenizer();
    std::string text = args.prompt;
    bool parse_special = false;
    if (args.is_chat) {
        ChatTemplate tmpl = detect_chat_template((*model)->chat_template());
        if (tmpl == ChatTemplate::kPlain) {
            std::fprintf(stderr,
                         "lore generate: warning: no known chat template in the model; "
                         "using a plain 'User:/Assistant:' prompt\n");
        }
        std::vector<ChatMessage> messages;
        if (!args.system.empty()) {
            messages.push_back({"system", args.system});
        }
        messages.push_back({"user", args.prompt});
        text = format_chat(tmpl, messages);
        parse_special = true;
    }
    std::vector<TokenId> tokens = tokenizer.encode(text, true, parse_special);

    SessionOptions session_options;
    session_options.n_threads = args.n_threads;
    session_options.n_ctx = args.n_ctx;
    Result<std::unique_ptr<Session>> session = Session::create(*model, session_options);
    if (!session.has_value()) {
        std::fprintf(stderr, "lore generate: %s\n", session.status().to_string().c_str());
        return session.status().to_exit_code();
    }
    GenerateOptions options;
    options.max_tokens = args.n_predict;
    options.sampler = sampler_options(args);
    options.stop = args.stop;
    options.n_logprobs = args.n_logprobs;

    if (args.n_logprobs == 0) {
        std::fputs(args.is_chat ? "" : args.prompt.c_str(), stdout);
        std::fflush(stdout);
    }
    Result<Generation> gen = generate(**session, tokens, options, [&](std::string_view piece) {
        if (args.n_logprobs == 0) {
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
        }
        return true;
    });
    if (!gen.has_value()) {
        std::fprintf(stderr, "\nlore generate: %s\n", gen.status().to_string().c_str());
        return gen.status().to_exit_code();
    }
    if (args.n_logprobs > 0) {
        // One line per generated token: the token, its log-probability, the alternatives.
        for (const GeneratedToken& t : gen->tokens) {
            std::printf("%6d  %-16s %8.4f ", t.token,
                        ("'" + printable_piece(tokenizer, t.token) + "'").c_str(), t.logprob);
            for (const TokenLogprob& alt : t.top) {
                std::printf("  '%s' %.4f", printable_piece(tokenizer, alt.token).c_str(),
                            alt.logprob);
            }
            std::printf("\n");
        }
        std::printf("text: %s\n", gen->text.c_str());
    } else {
        std::printf("\n");
    }
    if (args.is_verbose) {
        const double n_gen = static_cast<double>(gen->tokens.size());
        std::fprintf(stderr,
                     "lore: prompt %d tokens in %.1f ms (%.1f t/s); generated %zu tokens in "
                     "%.1f ms (%.1f t/s); stop: %s\n",
                     gen->n_prompt_tokens, gen->prompt_ms,
                     gen->n_prompt_tokens / std::max(1e-9, gen->prompt_ms / 1000.0),
                     gen->tokens.size(), gen->generate_ms,
                     n_gen / std::max(1e-9, gen->generate_ms / 1000.0),
                     std::string(stop_reason_name(gen->stop_reason)).c_str());
    }
    return 0;
}

}  // namespace

void add_generate_command(CLI::App& app, CommandContext& ctx) {
    auto args = std::make_shared<GenerateArgs>();
    CLI::App* cmd =
        app.add_subcommand("generate",
                           "Continue a prompt with a GGUF model, streaming tokens as they come "
                           "(greedy unless a sampling option is given)");
    cmd->add_option("-m,--model", args->model_path, "GGUF model file")->required();
    add_load_flags(cmd, &args->load);
    cmd->add_option("-p,--prompt", args->prompt, "Prompt text")->required();
    cmd->add_option("-n,--n-predict", args->n_predict, "Maximum tokens to generate")
        ->capture_default_str()
        ->check(CLI::Range(0, 1 << 20));
    cmd->add_option("--temp", args->temperature,
                    "Sampling temperature (0: greedy; default "
                    "0.8 when another sampling option is set)");
    cmd->add_option("--top-k", args->top_k, "Keep the K most likely tokens")
        ->check(CLI::Range(0, 1 << 24));
    cmd->add_option("--top-p", args->top_p, "Nucleus sampling threshold")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--min-p", args->min_p, "Drop tokens below P times the best one")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--repeat-penalty", args->repeat_penalty, "Penalty for recent tokens (1: off)")
        ->capture_default_str();
    cmd->add_option("--seed", args->seed, "Random seed: the same seed gives the same text")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--stop", args->stop, "Stop string (repeatable); not printed");
    cmd->add_option("--logprobs", args->n_logprobs,
                    "Print each token's log-probability and its K best alternatives")
        ->check(CLI::Range(0, 100));
    cmd->add_flag("--chat", args->is_chat, "Wrap the prompt in the model's chat template");
    cmd->add_option("--system", args->system, "System message for --chat");
    cmd->add_option("-t,--threads", args->n_threads, "Threads (default: one per physical core)")
        ->check(CLI::Range(0, 1024));
    cmd->add_option("-c,--ctx-size", args->n_ctx,
                    "Context length (default: the model's, "
                    "at most 4096)")
        ->check(CLI::Range(0, 1 << 20));
    cmd->add_flag("-v,--verbose", args->is_verbose, "Print timings to stderr");
    cmd->callback([args, &ctx] { ctx.exit_code = run_generate(*args); });
}

}  // namespace lore::cli
