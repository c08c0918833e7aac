// lore bench: prompt-processing (pp) and generation (tg) speed, printed the way llama-bench
// prints it so that the two compare line by line. pp<N>: N tokens decoded in one batch from
// an empty cache; tg<N>: N tokens decoded one at a time from an empty cache. With a depth D,
// both start from a cache that already holds D tokens (decoded untimed; "tg128 @ d2048", as
// llama-bench's -d names it). Each test runs once to warm up, then `repetitions` times; the
// table gives mean ± standard deviation.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lore/engine.h"

#include "cli/commands.h"
#include "core/cpu_topology.h"

namespace lore::cli {

namespace {

struct BenchArgs {
    std::string model_path;
    LoadFlags load;
    std::vector<int> threads = {0};
    int n_prompt = 512;
    int n_gen = 128;
    int depth = 0;
    int repetitions = 5;
    bool f32_cache = false;
};

std::string human_size(std::uint64_t bytes) {
    char buf[32];
    const double gib = static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0);
    if (gib >= 1.0) {
        std::snprintf(buf, sizeof(buf), "%.2f GiB", gib);
    } else {
        std::snprintf(buf, sizeof(buf), "%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    }
    return buf;
}

std::string human_params(std::uint64_t n) {
    char buf[32];
    if (n >= 1000000000ull) {
        std::snprintf(buf, sizeof(buf), "%.2f B", static_cast<double>(n) / 1e9);
    } else {
        std::snprintf(buf, sizeof(buf), "%.2f M", static_cast<double>(n) / 1e6);
    }
    return buf;
}

// Seconds for one run of the test, after `depth` untimed tokens from an empty session.
Result<double> run_once(
    Session& session, int depth, int n_prompt, int n_gen, std::int32_t n_vocab) {
    session.truncate(0);
    std::vector<TokenId> tokens(static_cast<std::size_t>(std::max({n_prompt, depth, 1})));
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        tokens[i] = static_cast<TokenId>((i * 7919 + 13) % static_cast<std::size_t>(n_vocab));
    }
    if (depth > 0) {
        LORE_RETURN_IF_ERROR(
            session.decode(std::span<const TokenId>(tokens).first(static_cast<std::size_t>(depth)),
                           LogitsMode::kNone));
    }
    if (n_prompt > 0) {
        tokens.resize(static_cast<std::size_t>(n_prompt));
    }
    const auto start = std::chrono::steady_clock::now();
    if (n_prompt > 0) {
        LORE_RETURN_IF_ERROR(session.decode(tokens, LogitsMode::kLast));
    } else {
        for (int i = 0; i < n_gen; ++i) {
            const TokenId t[1] = {tokens[0]};
            LORE_RETURN_IF_ERROR(session.decode(t, LogitsMode::kLast));
        }
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run_bench(const BenchArgs& args) {
    Result<std::shared_ptr<const Model>> model =
        Model::load(args.model_path, model_options(args.load));
    if (!model.has_value()) {
        std::fprintf(stderr, "lore bench: %s\n", model.status().to_string().c_str());
        return model.status().to_exit_code();
    }
    const Model& m = **model;
    const std::string label =
        m.hparams().arch + " " + human_params(m.n_params()) + " " + m.type_label();
    // llama-bench's backend column, with the kernels' instruction set: what a comparison ran.
    const std::string backend = "CPU " + std::string(kernel_isa());
    std::printf("| %-30s | %10s | %10s | %-11s | %7s | %15s | %20s |\n", "model", "size", "params",
                "backend", "threads", "test", "t/s");
    std::printf("| %s | %s: | %s: | %s | %s: | %s: | %s: |\n", std::string(30, '-').c_str(),
                std::string(9, '-').c_str(), std::string(9, '-').c_str(),
                std::string(11, '-').c_str(), std::string(6, '-').c_str(),
                std::string(14, '-').c_str(), std::string(19, '-').c_str());
    for (int n_threads : args.threads) {
        if (n_threads <= 0) {
            n_threads = default_thread_count();
        }
        SessionOptions options;
        options.n_threads = n_threads;
        options.n_ctx = args.depth + std::max(args.n_prompt, args.n_gen) + 16;
        options.f16_cache = !args.f32_cache;
        Result<std::unique_ptr<Session>> session = Session::create(*model, options);
        if (!session.has_value()) {
            std::fprintf(stderr, "lore bench: %s\n", session.status().to_string().c_str());
            return session.status().to_exit_code();
        }

        struct Test {
            int n_prompt;
            int n_gen;
        };

        std::vector<Test> tests;
        if (args.n_prompt > 0) {
            tests.push_back({args.n_prompt, 0});
        }
        if (args.n_gen > 0) {
            tests.push_back({0, args.n_gen});
        }
        for (const Test& test : tests) {
            const int n_tokens = test.n_prompt > 0 ? test.n_prompt : test.n_gen;
            std::vector<double> rates;
            for (int rep = -1; rep < args.repetitions; ++rep) {
                Result<double> seconds =
                    run_once(**session, args.depth, test.n_prompt, test.n_gen, m.hparams().n_vocab);
                if (!seconds.has_value()) {
                    std::fprintf(stderr, "lore bench: %s\n", seconds.status().to_string().c_str());
                    return seconds.status().to_exit_code();
                }
                if (rep >= 0) {
                    rates.push_back(n_tokens / *seconds);
                }
            }
            double mean = 0.0;
            for (double r : rates) {
                mean += r;
            }
            mean /= static_cast<double>(rates.size());
            double var = 0.0;
            for (double r : rates) {
                var += (r - mean) * (r - mean);
            }
            const double stdev =
                rates.size() > 1 ? std::sqrt(var / static_cast<double>(rates.size() - 1)) : 0.0;
            char test_name[48];
            std::snprintf(test_name, sizeof(test_name), "%s%d", test.n_prompt > 0 ? "pp" : "tg",
                          n_tokens);
            if (args.depth > 0) {
                const std::size_t length = std::strlen(test_name);
                std::snprintf(test_name + length, sizeof(test_name) - length, " @ d%d", args.depth);
            }
            char rate[48];
            std::snprintf(rate, sizeof(rate), "%.2f ± %.2f", mean, stdev);
            std::printf("| %-30s | %10s | %10s | %-11s | %7d | %15s | %20s |\n", label.c_str(),
                        human_size(m.n_weight_bytes()).c_str(), human_params(m.n_params()).c_str(),
                        backend.c_str(), n_threads, test_name, rate);
            std::fflush(stdout);
        }
    }
    return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, CommandContext& ctx) {
    auto args = std::make_shared<BenchArgs>();
    CLI::App* cmd =
        app.add_subcommand("bench",
                           "Measure prompt-processing (pp) and generation (tg) tokens per second, "
                           "printed like llama-bench");
    cmd->footer(
        "The backend column names the CPU kernels' instruction set (avx512, avxvnni, avx2, "
        "reference); LORE_ISA=avx2 or LORE_ISA=avxvnni in the environment runs the kernels of a "
        "CPU without AVX-512 (avxvnni: with AVX-VNNI, as Intel's since Alder Lake).");
    cmd->add_option("-m,--model", args->model_path, "GGUF model file")->required();
    add_load_flags(cmd, &args->load);
    cmd->add_option("-t,--threads", args->threads,
                    "Thread counts, comma-separated (0: one per physical core)")
        ->delimiter(',')
        ->capture_default_str();
    cmd->add_option("-p,--n-prompt", args->n_prompt, "Prompt tokens for the pp test (0: skip)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1 << 16));
    cmd->add_option("-n,--n-gen", args->n_gen, "Generated tokens for the tg test (0: skip)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1 << 16));
    cmd->add_option("-d,--n-depth", args->depth,
                    "Tokens already in the cache when each test starts (decoded untimed)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1 << 20));
    cmd->add_flag("--f32-cache", args->f32_cache,
                  "Keep the KV cache in f32 instead of f16 (llama-bench: -ctk f32 -ctv f32)");
    cmd->add_option("-r,--repetitions", args->repetitions, "Timed repetitions per test")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    cmd->callback([args, &ctx] { ctx.exit_code = run_bench(*args); });
}

}  // namespace lore::cli
