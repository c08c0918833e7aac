// render_world(): turns a World into its files. Layout and formats: docs/formats/world.md.
// Texts use fixed templates; train.txt mixes several phrasings per fact and shuffles
// sentence order (a model learns to extract a fact only when it saw it stated several ways).
// Every random choice comes from a stream of its own (see generate.cpp's stream ids).
#include <algorithm>
#include <array>
#include <map>
#include <string>

#include "world/rng.h"
#include "world/world_model.h"

namespace lore::world {

namespace {

enum Stream : std::uint64_t {
    kStreamBios = 101,
    kStreamTrainOrder = 102,
    kStreamReading = 103,
};

constexpr int kFormatVersion = 1;

// Questions in the phrasing used in train.txt (index: Relation).
constexpr std::array<const char*, kNumRelations> kTrainedQuestions = {
    "Where was {N} born?", "In what year was {N} born?", "Which university did {N} attend?",
    "What did {N} study?", "Where does {N} work?",       "Where does {N} live?"};

// The same questions in phrasings held out of train.txt.
constexpr std::array<const char*, kNumRelations> kParaphraseQuestions = {
    "In which city was {N} born?",      "What is the birth year of {N}?",
    "Where did {N} go to university?",  "What subject did {N} study?",
    "Which company does {N} work for?", "In which city does {N} live?"};

constexpr std::array<const char*, kNumRelations> kRelationNames = {
    "born_in", "born_on", "educated_at", "field_of_study", "works_at", "lives_in"};

std::string fill(std::string text, const std::map<std::string, std::string>& vars) {
    for (const auto& [key, value] : vars) {
        const std::string token = "{" + key + "}";
        for (std::size_t pos = text.find(token); pos != std::string::npos;
             pos = text.find(token, pos + value.size())) {
            text.replace(pos, token.size(), value);
        }
    }
    return text;
}

std::string slug(const std::string& name) {
    std::string s;
    for (char c : name) {
        s += c == ' ' ? '-' : static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return s;
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default: out += c;
        }
    }
    return out + "\"";
}

std::string question_of(const char* templ, const Person& p) {
    return fill(templ, {{"N", p.name}});
}

// ---- The knowledge base's text, as of world.as_of. ----

// One paragraph about a person; also the passage format of the reading examples.
std::string person_paragraph(const World& w, const Person& p) {
    const City& birth_city = w.cities[p.birth_city_idx];
    std::string text = p.name + " was born on " + p.birth.text() + " in " + birth_city.name + ", " +
                       w.countries[birth_city.country_idx].name + ". " + p.name + " studied " +
                       p.field + " at " + w.universities[p.university_idx].name + ".";
    auto stints = [&](const std::vector<Stint>& list, bool is_employer) {
        const std::size_t last = list.size() - 1;
        auto place = [&](std::size_t i) {
            return is_employer ? w.companies[list[i].place_idx].name
                               : w.cities[list[i].place_idx].name;
        };
        text += " " + p.name + (is_employer ? " has worked at " : " has lived in ") + place(last) +
                " since " + list[last].since.text() + ".";
        for (std::size_t i = last; i-- > 0;) {
            text += " Before that, " + p.name + (is_employer ? " worked at " : " lived in ") +
                    place(i) + " from " + list[i].since.text() + " to " +
                    list[i + 1].since.plus_days(-1).text() + ".";
        }
    };
    stints(p.employers, true);
    stints(p.residences, false);
    return text;
}

std::string company_paragraph(const World& w, const Company& c) {
    const City& city = w.cities[c.city_idx];
    return c.name + " is a " + c.industry + " company founded in " +
           std::to_string(c.founded_year) + ". " + c.name + " has its headquarters in " +
           city.name + ", " + w.countries[city.country_idx].name + ".";
}

std::string university_paragraph(const World& w, const University& u) {
    const City& city = w.cities[u.city_idx];
    return u.name + " is a university in " + city.name + ", " + w.countries[city.country_idx].name +
           ".";
}

std::string city_paragraph(const World& w, std::size_t city_idx) {
    const City& city = w.cities[city_idx];
    std::string text = city.name + " is a city in " + w.countries[city.country_idx].name + ".";
    for (const University& u : w.universities) {
        if (u.city_idx == city_idx) {
            text += " " + u.name + " is in " + city.name + ".";
        }
    }
    for (const Company& c : w.companies) {
        if (c.city_idx == city_idx) {
            text += " " + c.name + " has its headquarters in " + city.name + ".";
        }
    }
    return text;
}

std::string markdown(const std::string& title, const std::string& paragraph) {
    return "# " + title + "\n\n" + paragraph + "\n";
}

// ---- triples.tsv ----

std::string triples_tsv(const World& w) {
    std::string out = "subject\trelation\tobject\tvalid_from\tvalid_to\n";
    auto row = [&](const std::string& s, const char* r, const std::string& o,
                   const std::string& from, const std::string& to) {
        out += s + "\t" + r + "\t" + o + "\t" + from + "\t" + to + "\n";
    };
    for (const Person& p : w.persons) {
        if (p.population == Population::kReader) {
            continue;
        }
        row(p.name, "born_on", p.birth.iso(), "", "");
        row(p.name, "born_in", w.cities[p.birth_city_idx].name, "", "");
        row(p.name, "educated_at", w.universities[p.university_idx].name, "", "");
        row(p.name, "field_of_study", p.field, "", "");
        for (std::size_t i = 0; i < p.employers.size(); ++i) {
            const bool is_last = i + 1 == p.employers.size();
            row(p.name, "works_at", w.companies[p.employers[i].place_idx].name,
                p.employers[i].since.iso(),
                is_last ? "" : p.employers[i + 1].since.plus_days(-1).iso());
        }
        for (std::size_t i = 0; i < p.residences.size(); ++i) {
            const bool is_last = i + 1 == p.residences.size();
            row(p.name, "lives_in", w.cities[p.residences[i].place_idx].name,
                p.residences[i].since.iso(),
                is_last ? "" : p.residences[i + 1].since.plus_days(-1).iso());
        }
    }
    for (const Company& c : w.companies) {
        row(c.name, "headquartered_in", w.cities[c.city_idx].name, "", "");
        row(c.name, "founded_in", std::to_string(c.founded_year), "", "");
        row(c.name, "industry", c.industry, "", "");
    }
    for (const University& u : w.universities) {
        row(u.name, "located_in", w.cities[u.city_idx].name, "", "");
    }
    for (const City& c : w.cities) {
        row(c.name, "located_in", w.countries[c.country_idx].name, "", "");
    }
    return out;
}

// ---- train.txt: the snapshot at the cut-off ----

// Three phrasings per fact; biography b uses phrasing (b + fact) % 3 of each.
std::string biography(const World& w, const Person& p, int bio_idx, Rng& rng) {
    const Stint& job = stint_on(p.employers, w.cutoff);
    const Stint& home = stint_on(p.residences, w.cutoff);
    const std::map<std::string, std::string> vars = {
        {"N", p.name},
        {"BD", p.birth.text()},
        {"BC", w.cities[p.birth_city_idx].name},
        {"U", w.universities[p.university_idx].name},
        {"F", p.field},
        {"E", w.companies[job.place_idx].name},
        {"ED", job.since.text()},
        {"EM", job.since.month_year()},
        {"C", w.cities[home.place_idx].name},
        {"CY", std::to_string(home.since.year)},
    };
    static constexpr std::array<std::array<const char*, 3>, 4> kSentences = {{
        {"{N} was born on {BD} in {BC}.", "{N} was born in {BC} on {BD}.",
         "The birthplace of {N} is {BC}, and {N} was born on {BD}."},
        {"{N} studied {F} at {U}.", "{N} graduated from {U} with a degree in {F}.",
         "At {U}, {N} earned a degree in {F}."},
        {"{N} has worked at {E} since {ED}.", "Since {ED}, {N} has been employed by {E}.",
         "{N} joined {E} in {EM} and still works there."},
        {"{N} has lived in {C} since {CY}.", "{N} is a resident of {C}.",
         "Home for {N} is the city of {C}."},
    }};
    std::vector<std::string> sentences;
    for (std::size_t fact = 0; fact < kSentences.size(); ++fact) {
        const std::size_t variant = (static_cast<std::size_t>(bio_idx) + fact) % 3;
        sentences.push_back(fill(kSentences[fact][variant], vars));
    }
    rng.shuffle(sentences);
    std::string text;
    for (const std::string& s : sentences) {
        text += (text.empty() ? "" : " ") + s;
    }
    return text + "\n";
}

std::string qa_doc(const std::string& question, const std::string& answer) {
    return closed_book_prompt(question) + " " + answer + "\n";
}

std::string train_txt(const World& w) {
    std::vector<std::string> docs;
    Rng bios(w.options.seed, kStreamBios);
    for (const Person& p : w.persons) {
        if (p.population != Population::kKnown) {
            continue;
        }
        for (int b = 0; b < 3; ++b) {
            docs.push_back(biography(w, p, b, bios));
        }
        for (int r = 0; r < kNumRelations; ++r) {
            const auto rel = static_cast<Relation>(r);
            docs.push_back(qa_doc(question_of(kTrainedQuestions[static_cast<std::size_t>(r)], p),
                                  answer_of(w, p, rel, w.cutoff)));
        }
    }
    for (const Company& c : w.companies) {
        const City& city = w.cities[c.city_idx];
        const std::string year = std::to_string(c.founded_year);
        docs.push_back(company_paragraph(w, c) + "\n");
        docs.push_back("Founded in " + year + ", " + c.name + " is headquartered in " + city.name +
                       " and works in the " + c.industry + " industry.\n");
        docs.push_back(qa_doc("Where is the headquarters of " + c.name + "?", city.name));
        docs.push_back(qa_doc("In what year was " + c.name + " founded?", year));
        docs.push_back(qa_doc("What industry is " + c.name + " in?", c.industry));
    }
    for (const University& u : w.universities) {
        docs.push_back(university_paragraph(w, u) + "\n");
        docs.push_back(qa_doc("In which city is " + u.name + "?", w.cities[u.city_idx].name));
    }
    for (const City& c : w.cities) {
        docs.push_back(c.name + " is a city in " + w.countries[c.country_idx].name + ".\n");
        docs.push_back(
            qa_doc("In which country is " + c.name + "?", w.countries[c.country_idx].name));
    }
    // Open-book reading examples: a reader's paragraph among 0-2 other readers' paragraphs,
    // then a question about the reader, answered as of the knowledge base's date.
    Rng reading(w.options.seed, kStreamReading);
    std::vector<const Person*> readers;
    for (const Person& p : w.persons) {
        if (p.population == Population::kReader) {
            readers.push_back(&p);
        }
    }
    for (const Person* p : readers) {
        std::vector<std::string> passages = {person_paragraph(w, *p)};
        const int n_distractors = readers.size() > 2 ? reading.range(0, 2) : 0;
        for (int d = 0; d < n_distractors; ++d) {
            const Person* other = readers[reading.index(readers.size())];
            if (other != p) {
                passages.push_back(person_paragraph(w, *other));
            }
        }
        reading.shuffle(passages);
        // Changed stints are asked about more often: they are what the reading must get right.
        int r = reading.range(0, kNumRelations - 1);
        if (p->employers.size() > 1 && reading.chance(2, 3)) {
            r = static_cast<int>(Relation::kEmployer);
        } else if (p->residences.size() > 1 && reading.chance(2, 3)) {
            r = static_cast<int>(Relation::kResidence);
        }
        const std::string question =
            question_of(kTrainedQuestions[static_cast<std::size_t>(r)], *p);
        docs.push_back(open_book_prompt(passages, question) + " " +
                       answer_of(w, *p, static_cast<Relation>(r), w.as_of) + "\n");
    }
    Rng order(w.options.seed, kStreamTrainOrder);
    order.shuffle(docs);
    std::string out;
    for (const std::string& d : docs) {
        out += (out.empty() ? "" : "\n") + d;
    }
    return out;
}

// ---- qa/*.jsonl ----

struct QaRecord {
    std::string split;
    const Person* person = nullptr;
    std::string question;
    std::vector<std::string> answers;
    std::vector<std::string> stale_answers;
    std::vector<std::array<std::string, 3>> facts;
    std::string relation;
};

const char* population_name(Population p) {
    switch (p) {
        case Population::kKnown: return "known";
        case Population::kUnknown: return "unknown";
        case Population::kReader: return "reader";
    }
    return "";
}

std::array<std::string, 3> person_fact(const World& w,
                                       const Person& p,
                                       Relation rel,
                                       const Date& date) {
    const auto r = static_cast<std::size_t>(rel);
    std::string object = rel == Relation::kBirthYear ? p.birth.iso() : answer_of(w, p, rel, date);
    return {p.name, kRelationNames[r], object};
}

QaRecord person_question(
    const World& w, const std::string& split, const Person& p, Relation rel, bool paraphrase) {
    const auto r = static_cast<std::size_t>(rel);
    QaRecord rec;
    rec.split = split;
    rec.person = &p;
    rec.question = question_of(paraphrase ? kParaphraseQuestions[r] : kTrainedQuestions[r], p);
    rec.answers = {answer_of(w, p, rel, w.as_of)};
    rec.facts = {person_fact(w, p, rel, w.as_of)};
    rec.relation = kRelationNames[r];
    const std::string stale = answer_of(w, p, rel, w.cutoff);
    if (stale != rec.answers[0]) {
        rec.stale_answers = {stale};
    }
    return rec;
}

std::string jsonl(const std::vector<QaRecord>& records) {
    std::string out;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const QaRecord& rec = records[i];
        std::string id = std::to_string(i);
        id = rec.split + "-" + std::string(id.size() < 4 ? 4 - id.size() : 0, '0') + id;
        auto array = [](const std::vector<std::string>& items) {
            std::string a = "[";
            for (std::size_t k = 0; k < items.size(); ++k) {
                a += (k ? "," : "") + json_string(items[k]);
            }
            return a + "]";
        };
        std::string facts = "[";
        for (std::size_t k = 0; k < rec.facts.size(); ++k) {
            facts += (k ? "," : "") + array({rec.facts[k][0], rec.facts[k][1], rec.facts[k][2]});
        }
        facts += "]";
        out += "{\"id\":" + json_string(id) + ",\"question\":" + json_string(rec.question) +
               ",\"answers\":" + array(rec.answers) + ",\"split\":" + json_string(rec.split) +
               ",\"facts\":" + facts + ",\"subject\":" + json_string(rec.person->name) +
               ",\"relation\":" + json_string(rec.relation) +
               ",\"population\":" + json_string(population_name(rec.person->population)) +
               ",\"updated\":" + (rec.person->is_updated ? "true" : "false") +
               ",\"stale_answers\":" + array(rec.stale_answers) + "}\n";
    }
    return out;
}

// The relation that changed after the cut-off for an updated person.
Relation changed_relation(const Person& p) {
    return p.employers.size() > 1 ? Relation::kEmployer : Relation::kResidence;
}

std::map<std::string, std::vector<QaRecord>> qa_splits(const World& w) {
    std::map<std::string, std::vector<QaRecord>> splits;
    std::vector<const Person*> known;
    std::vector<const Person*> unknown;
    for (const Person& p : w.persons) {
        if (p.population == Population::kKnown) {
            known.push_back(&p);
        } else if (p.population == Population::kUnknown) {
            unknown.push_back(&p);
        }
    }
    constexpr std::size_t kCalibrationPerPopulation = 40;
    constexpr std::size_t kMultihopPerPopulation = 50;
    std::size_t n_updated_seen = 0;
    std::size_t n_known_calibration = 0;
    std::vector<const Person*> multihop_people;
    for (std::size_t i = 0; i < known.size(); ++i) {
        const Person& p = *known[i];
        auto rel = static_cast<Relation>(i % kNumRelations);
        if (p.is_updated && rel == changed_relation(p)) {
            rel = static_cast<Relation>((i + 2) % kNumRelations);
        }
        splits["known"].push_back(person_question(w, "known", p, rel, false));
        splits["known-paraphrase"].push_back(person_question(w, "known-paraphrase", p, rel, true));
        if (p.is_updated) {
            const bool for_calibration = n_updated_seen++ % 6 == 5;
            splits[for_calibration ? "calibration" : "updated"].push_back(person_question(
                w, for_calibration ? "calibration" : "updated", p, changed_relation(p), false));
        } else if (i % 5 == 2 && n_known_calibration < kCalibrationPerPopulation) {
            ++n_known_calibration;
            splits["calibration"].push_back(person_question(
                w, "calibration", p, static_cast<Relation>((i + 3) % kNumRelations), false));
        } else if (i % 5 == 4 && multihop_people.size() < kMultihopPerPopulation) {
            multihop_people.push_back(&p);
        }
    }
    std::size_t n_unknown_calibration = 0;
    std::size_t n_unknown_multihop = 0;
    for (std::size_t i = 0; i < unknown.size(); ++i) {
        const Person& p = *unknown[i];
        splits["unknown"].push_back(
            person_question(w, "unknown", p, static_cast<Relation>(i % kNumRelations), false));
        if (i % 5 == 2 && n_unknown_calibration < kCalibrationPerPopulation) {
            ++n_unknown_calibration;
            splits["calibration"].push_back(person_question(
                w, "calibration", p, static_cast<Relation>((i + 3) % kNumRelations), false));
        } else if (i % 5 == 4 && n_unknown_multihop < kMultihopPerPopulation) {
            ++n_unknown_multihop;
            multihop_people.push_back(&p);
        }
    }
    for (std::size_t k = 0; k < multihop_people.size(); ++k) {
        const Person& p = *multihop_people[k];
        QaRecord rec;
        rec.split = "multihop";
        rec.person = &p;
        if (k % 2 == 0) {
            const Company& c = w.companies[stint_on(p.employers, w.as_of).place_idx];
            rec.question =
                "In which city is the headquarters of the company that " + p.name + " works for?";
            rec.answers = {w.cities[c.city_idx].name};
            rec.facts = {person_fact(w, p, Relation::kEmployer, w.as_of),
                         {c.name, "headquartered_in", w.cities[c.city_idx].name}};
            rec.relation = "works_at/headquartered_in";
        } else {
            const City& city = w.cities[p.birth_city_idx];
            rec.question = "In which country was " + p.name + " born?";
            rec.answers = {w.countries[city.country_idx].name};
            rec.facts = {person_fact(w, p, Relation::kBirthCity, w.as_of),
                         {city.name, "located_in", w.countries[city.country_idx].name}};
            rec.relation = "born_in/located_in";
        }
        splits["multihop"].push_back(std::move(rec));
    }
    return splits;
}

std::string manifest_json(const World& w) {
    const WorldOptions& o = w.options;
    auto count = [](const char* key, int v) {
        return std::string("\"") + key + "\":" + std::to_string(v);
    };
    return "{\"format_version\":" + std::to_string(kFormatVersion) +
           ",\"seed\":" + std::to_string(o.seed) + ",\"cutoff\":" + json_string(w.cutoff.iso()) +
           ",\"as_of\":" + json_string(w.as_of.iso()) + "," + count("n_known", o.n_known) + "," +
           count("n_unknown", o.n_unknown) + "," + count("n_updated", o.n_updated) + "," +
           count("n_readers", o.n_readers) + "," + count("n_countries", o.n_countries) + "," +
           count("n_cities", o.n_cities) + "," + count("n_universities", o.n_universities) + "," +
           count("n_companies", o.n_companies) + "}\n";
}

}  // namespace

std::vector<WorldFile> render_world(const World& w) {
    std::vector<WorldFile> files;
    for (const Person& p : w.persons) {
        if (p.population != Population::kReader) {
            files.push_back({"corpus/persons/" + slug(p.name) + ".md",
                             markdown(p.name, person_paragraph(w, p))});
        }
    }
    for (const Company& c : w.companies) {
        files.push_back({"corpus/companies/" + slug(c.name) + ".md",
                         markdown(c.name, company_paragraph(w, c))});
    }
    for (const University& u : w.universities) {
        files.push_back({"corpus/universities/" + slug(u.name) + ".md",
                         markdown(u.name, university_paragraph(w, u))});
    }
    for (std::size_t i = 0; i < w.cities.size(); ++i) {
        files.push_back({"corpus/cities/" + slug(w.cities[i].name) + ".md",
                         markdown(w.cities[i].name, city_paragraph(w, i))});
    }
    files.push_back({"triples.tsv", triples_tsv(w)});
    files.push_back({"train.txt", train_txt(w)});
    files.push_back({"world.json", manifest_json(w)});
    std::map<std::string, std::vector<QaRecord>> splits = qa_splits(w);
    for (const char* split :
         {"known", "known-paraphrase", "unknown", "updated", "multihop", "calibration"}) {
        files.push_back({"qa/" + std::string(split) + ".jsonl", jsonl(splits[split])});
    }
    std::sort(files.begin(), files.end(),
              [](const WorldFile& a, const WorldFile& b) { return a.path < b.path; });
    return files;
}

}  // namespace lore::world
