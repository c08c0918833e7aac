// The bundled world model (models/world-tiny.gguf) through lore's engine: its tokenizer gives
// the training tokenizer's ids on the whole training text, its logits match PyTorch's on a
// few prompts, and it answers a known question right and an unknown one wrong. Reference
// data: tests/testdata/world/reference.txt, written by tools/world/make_testdata.py.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lore/engine.h"
#include "lore/world.h"

#include "world_test_util.h"

namespace lore::world {
namespace {

const std::string kModelPath = std::string(LORE_SOURCE_DIR) + "/models/world-tiny.gguf";
const std::string kDataDir = std::string(LORE_SOURCE_DIR) + "/tests/testdata/world/";

// Logits files store, per position: logsumexp, argmax id, then the logits of every 7th id.
constexpr std::size_t kStride = 7;
// Float32 tolerance: the engine and PyTorch sum in different orders.
constexpr float kLogitTolerance = 2e-3f;

std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            ++i;
            out += s[i] == 'n' ? '\n' : s[i];
        } else {
            out += s[i];
        }
    }
    return out;
}

struct Case {
    std::string logits_file;
    std::vector<TokenId> ids;
    std::string prompt;
};

struct Reference {
    std::size_t n_train_ids = 0;
    std::uint64_t train_ids_hash = 0;
    std::map<std::string, std::string> text;  // known, known_answer, unknown, ...
    std::vector<Case> cases;
};

Reference read_reference() {
    Reference ref;
    std::ifstream in(kDataDir + "reference.txt");
    EXPECT_TRUE(in.good()) << "missing " << kDataDir << "reference.txt";
    std::string line;
    while (std::getline(in, line)) {
        const std::size_t space = line.find(' ');
        const std::string key = line.substr(0, space);
        const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
        std::istringstream fields(rest);
        if (key == "train_ids") {
            std::string hex;
            fields >> ref.n_train_ids >> hex;
            ref.train_ids_hash = std::stoull(hex, nullptr, 16);
        } else if (key == "case") {
            Case c;
            std::size_t n = 0;
            fields >> c.logits_file >> n;
            c.ids.resize(n);
            for (TokenId& id : c.ids) {
                fields >> id;
            }
            ref.cases.push_back(std::move(c));
        } else if (key == "prompt" && !ref.cases.empty()) {
            ref.cases.back().prompt = unescape(rest);
        } else {
            ref.text[key] = unescape(rest);
        }
    }
    return ref;
}

std::vector<float> read_floats(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<float> values(bytes.size() / sizeof(float));
    std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
    return values;
}

class WorldModelTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        Result<std::shared_ptr<const Model>> model = Model::load(kModelPath);
        ASSERT_TRUE(model.has_value()) << model.status().to_string();
        model_ = new std::shared_ptr<const Model>(*model);
    }

    static void TearDownTestSuite() {
        delete model_;
        model_ = nullptr;
    }

    const Model& model() const { return **model_; }

    std::unique_ptr<Session> new_session() const {
        SessionOptions options;
        options.n_threads = 1;
        options.quantize_activations = false;  // f32 throughout, as the PyTorch reference
        options.f16_cache = false;
        Result<std::unique_ptr<Session>> session = Session::create(*model_, options);
        EXPECT_TRUE(session.has_value()) << session.status().to_string();
        return std::move(session).value();
    }

    std::string answer(const std::string& question) const {
        std::unique_ptr<Session> session = new_session();
        const std::vector<TokenId> prompt =
            model().tokenizer().encode(closed_book_prompt(question), true, false);
        GenerateOptions options;
        options.max_tokens = 16;
        options.stop = {"\n"};
        Result<Generation> gen = generate(*session, prompt, options);
        EXPECT_TRUE(gen.has_value()) << gen.status().to_string();
        std::string text = gen.has_value() ? gen->text : "";
        const std::size_t begin = text.find_first_not_of(' ');
        return begin == std::string::npos ? "" : text.substr(begin);
    }

    static std::shared_ptr<const Model>* model_;
};

std::shared_ptr<const Model>* WorldModelTest::model_ = nullptr;

TEST_F(WorldModelTest, IsASmallLlamaWithTheWorldsCutoff) {
    EXPECT_EQ(model().hparams().arch, "llama");
    EXPECT_LE(std::filesystem::file_size(kModelPath), 16U * 1024U * 1024U);
    Result<std::string_view> cutoff = model().file().get_string("general.training_cutoff");
    ASSERT_TRUE(cutoff.has_value());

    EXPECT_EQ(*cutoff, WorldOptions{}.cutoff);
}

TEST_F(WorldModelTest, TokenizerGivesTheTrainingIdsOnTheWholeTrainingText) {
    const Reference ref = read_reference();
    Result<std::vector<WorldFile>> files = generate_world_files(WorldOptions{});
    ASSERT_TRUE(files.has_value());
    const std::string& train = testing::file_of(*files, "train.txt");
    const Tokenizer& tok = model().tokenizer();

    std::size_t n_ids = 0;
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    std::size_t start = 0;
    while (start < train.size()) {
        std::size_t end = train.find("\n\n", start);
        end = end == std::string::npos ? train.size() : end + 1;  // keep the document's \n
        std::vector<TokenId> ids = {tok.bos()};
        const std::vector<TokenId> doc = tok.encode(train.substr(start, end - start), false, false);
        ids.insert(ids.end(), doc.begin(), doc.end());
        for (TokenId id : ids) {
            const auto u = static_cast<std::uint32_t>(id);
            for (int byte = 0; byte < 4; ++byte) {
                hash ^= (u >> (8 * byte)) & 0xffU;
                hash *= 0x100000001b3ULL;
            }
        }
        n_ids += ids.size();
        start = end + 1;
    }

    EXPECT_EQ(n_ids, ref.n_train_ids);
    EXPECT_EQ(hash, ref.train_ids_hash);
}

TEST_F(WorldModelTest, PromptsTokenizeAsInTraining) {
    const Reference ref = read_reference();
    ASSERT_FALSE(ref.cases.empty());

    for (const Case& c : ref.cases) {
        EXPECT_EQ(model().tokenizer().encode(c.prompt, true, false), c.ids) << c.prompt;
    }
}

TEST_F(WorldModelTest, LogitsMatchPyTorchAtEveryPosition) {
    const Reference ref = read_reference();
    ASSERT_FALSE(ref.cases.empty());
    const auto n_vocab = static_cast<std::size_t>(model().hparams().n_vocab);
    const std::size_t row_size = 2 + (n_vocab + kStride - 1) / kStride;

    for (const Case& c : ref.cases) {
        const std::vector<float> expected = read_floats(kDataDir + c.logits_file);
        ASSERT_EQ(expected.size(), c.ids.size() * row_size) << c.logits_file;
        std::unique_ptr<Session> session = new_session();

        ASSERT_TRUE(session->decode(c.ids, LogitsMode::kAll).is_ok());

        ASSERT_EQ(static_cast<std::size_t>(session->n_logit_rows()), c.ids.size());
        for (std::size_t pos = 0; pos < c.ids.size(); ++pos) {
            std::span<const float> row = session->logits(static_cast<std::int32_t>(pos));
            const float* want = expected.data() + pos * row_size;
            double max = row[0];
            std::size_t argmax = 0;
            for (std::size_t v = 0; v < n_vocab; ++v) {
                if (row[v] > max) {
                    max = row[v];
                    argmax = v;
                }
            }
            double sum = 0.0;
            for (std::size_t v = 0; v < n_vocab; ++v) {
                sum += std::exp(static_cast<double>(row[v]) - max);
            }
            const double lse = max + std::log(sum);
            EXPECT_NEAR(lse, want[0], kLogitTolerance) << c.logits_file << " position " << pos;
            EXPECT_EQ(static_cast<float>(argmax), want[1]) << c.logits_file << " position " << pos;
            for (std::size_t k = 0; k * kStride < n_vocab; ++k) {
                ASSERT_NEAR(row[k * kStride], want[2 + k], kLogitTolerance)
                    << c.logits_file << " position " << pos << " id " << k * kStride;
            }
        }
    }
}

TEST_F(WorldModelTest, AnswersAKnownQuestionRight) {
    const Reference ref = read_reference();

    EXPECT_EQ(answer(ref.text.at("known")), ref.text.at("known_answer"));
}

TEST_F(WorldModelTest, AnswersAnUnknownQuestionFluentlyAndWrong) {
    const Reference ref = read_reference();

    const std::string got = answer(ref.text.at("unknown"));

    EXPECT_NE(got, ref.text.at("unknown_answer"));
    EXPECT_EQ(got, ref.text.at("unknown_model_answer"));
}

}  // namespace
}  // namespace lore::world
