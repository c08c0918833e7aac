// BM25 retrieval quality on OpenBookQA (run by hand):
//   build/<dir>/bench/retrieve/lore_bench_openbookqa OPENBOOKQA_DATA_DIR [lore|fts5]
// where the directory holds Main/openbook.txt (1,326 facts, one quoted fact per line) and
// Additional/dev_complete.jsonl. Each fact is one document; for each dev question the query
// is the question stem plus the text of the correct choice, and the gold document is the
// question's fact1. Prints recall@1, @5 and @10 of the gold fact.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "lore/kb.h"

namespace {

std::string normalize(std::string text) {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        text = text.substr(1, text.size() - 2);
    }
    std::string out;
    for (char c : text) {
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == '.')) {
        out.pop_back();
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s OPENBOOKQA_DATA_DIR\n", argv[0]);
        return 2;
    }
    const std::filesystem::path data = argv[1];
    std::ifstream book(data / "Main" / "openbook.txt");
    std::string line;
    std::string jsonl;
    std::unordered_map<std::string, std::string> id_of_fact;
    int n_facts = 0;
    while (std::getline(book, line)) {
        if (line.empty()) {
            continue;
        }
        const std::string text =
            line.size() >= 2 && line.front() == '"' ? line.substr(1, line.size() - 2) : line;
        std::string id = "f";
        id += std::to_string(n_facts++);
        id_of_fact.emplace(normalize(text), id);
        jsonl += nlohmann::json{{"id", id}, {"text", text}}.dump();
        jsonl += '\n';
    }
    const std::filesystem::path kb_dir = "/tmp/lore_bench_openbookqa";
    std::filesystem::remove_all(kb_dir);
    const bool fts5 = argc > 2 && std::string(argv[2]) == "fts5";
    lore::KbOpenOptions kb_options;
    kb_options.fts5 = fts5;
    auto kb = lore::KnowledgeBase::open(kb_dir, kb_options).value();
    if (!kb->ingest_jsonl_stream(jsonl, "openbook", lore::IngestOptions{}).has_value()) {
        return 1;
    }
    std::ifstream dev(data / "Additional" / "dev_complete.jsonl");
    int n_questions = 0, n_unmatched = 0, hit1 = 0, hit5 = 0, hit10 = 0;
    lore::SearchOptions options;
    if (fts5) {
        options.lexical_engine = lore::LexicalEngine::kFts5;
    }
    options.top_k = 10;
    while (std::getline(dev, line)) {
        const nlohmann::json q = nlohmann::json::parse(line, nullptr, false);
        if (!q.is_object()) {
            continue;
        }
        auto gold = id_of_fact.find(normalize(q["fact1"].get<std::string>()));
        if (gold == id_of_fact.end()) {
            ++n_unmatched;
            continue;
        }
        std::string query = q["question"]["stem"].get<std::string>();
        for (const auto& choice : q["question"]["choices"]) {
            if (choice["label"] == q["answerKey"]) {
                query += ' ';
                query += choice["text"].get<std::string>();
            }
        }
        auto hits = kb->search(query, options).value();
        ++n_questions;
        for (std::size_t rank = 0; rank < hits.size(); ++rank) {
            if (hits[rank].document_key == gold->second) {
                hit1 += rank < 1;
                hit5 += rank < 5;
                hit10 += rank < 10;
                break;
            }
        }
    }
    std::printf("openbookqa dev: %d questions (%d with fact1 not in the book), %d facts\n",
                n_questions, n_unmatched, n_facts);
    std::printf("BM25 recall@1 %.3f  recall@5 %.3f  recall@10 %.3f\n",
                static_cast<double>(hit1) / n_questions, static_cast<double>(hit5) / n_questions,
                static_cast<double>(hit10) / n_questions);
    return 0;
}
