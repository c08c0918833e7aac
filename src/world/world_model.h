// The world's entities and facts in memory, before they are rendered to files. Indices link
// entities (a person's employer is an index into World::companies). A person's employers and
// residences are stints in date order; the one in force on a date is the last that began on
// or before it.
//
// Thread safety: plain data; immutable after build_world().
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "lore/result.h"
#include "lore/world.h"

#include "world/date.h"

namespace lore::world {

struct Country {
    std::string name;
};

struct City {
    std::string name;
    std::size_t country_idx = 0;
};

struct University {
    std::string name;
    std::size_t city_idx = 0;
};

struct Company {
    std::string name;
    std::size_t city_idx = 0;  // headquarters
    int founded_year = 0;
    std::string industry;
};

enum class Population {
    kKnown,    // in the training text
    kUnknown,  // only in the knowledge base
    kReader,   // only in the training text's open-book examples
};

// One period of employment (place_idx: a company) or residence (place_idx: a city).
struct Stint {
    std::size_t place_idx = 0;
    Date since;
};

struct Person {
    std::string name;
    Population population = Population::kKnown;
    Date birth;
    std::size_t birth_city_idx = 0;
    std::size_t university_idx = 0;
    std::string field;
    std::vector<Stint> employers;   // date order, non-empty
    std::vector<Stint> residences;  // date order, non-empty
    bool is_updated = false;        // a stint begins after the cut-off
};

// The six questions asked about a person.
enum class Relation { kBirthCity, kBirthYear, kUniversity, kField, kEmployer, kResidence };

constexpr int kNumRelations = 6;

struct World {
    WorldOptions options;
    Date cutoff;  // the training snapshot
    Date as_of;   // the knowledge base's date: every update begins on or before it
    std::vector<Country> countries;
    std::vector<City> cities;
    std::vector<University> universities;
    std::vector<Company> companies;
    std::vector<Person> persons;  // known, then unknown, then readers
};

// Validates `options` and invents the world.
Result<World> build_world(const WorldOptions& options);

// The stint in force on `date` (the first one if none had begun).
const Stint& stint_on(const std::vector<Stint>& stints, const Date& date);

// The answer to `relation` about `person` as of `date`.
std::string answer_of(const World& world,
                      const Person& person,
                      Relation relation,
                      const Date& date);

// Renders every file (sorted by path).
std::vector<WorldFile> render_world(const World& world);

}  // namespace lore::world
