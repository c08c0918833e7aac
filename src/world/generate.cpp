// build_world(): invents the entities in a fixed order (countries, cities, universities,
// companies, then people), each kind from its own random stream, so the same options always
// give the same world. Places are named before people so that NameMaker can keep surnames
// apart from place words.
#include <algorithm>
#include <array>
#include <string>

#include "world/names.h"
#include "world/rng.h"
#include "world/world_model.h"

namespace lore::world {

namespace {

// Stream ids: one per kind of decision. Never renumber (it would change every world).
enum Stream : std::uint64_t {
    kStreamPlaces = 1,
    kStreamCompanies = 2,
    kStreamKnown = 3,
    kStreamUnknown = 4,
    kStreamReaders = 5,
    kStreamUpdates = 6,
};

constexpr std::array<const char*, 4> kCitySuffixes = {"vik", "holm", "dor", "mar"};
constexpr std::array<const char*, 3> kCountrySuffixes = {"ia", "land", "stan"};
constexpr std::array<const char*, 10> kCompanySuffixes = {
    "Systems", "Labs",   "Works",  "Industries", "Dynamics",
    "Foods",   "Motors", "Energy", "Media",      "Analytics"};
constexpr std::array<const char*, 10> kIndustries = {
    "software", "biotechnology", "shipping", "energy", "food",
    "textiles", "aerospace",     "finance",  "media",  "mining"};
constexpr std::array<const char*, 12> kFields = {
    "Physics",     "Chemistry",        "Biology",      "Mathematics", "Economics", "History",
    "Linguistics", "Computer Science", "Architecture", "Medicine",    "Law",       "Philosophy"};

constexpr int kMaxCount = 100000;

Status check_count(const char* name, int value, int lo, int hi) {
    if (value < lo || value > hi) {
        return Status::invalid_argument("world: option " + std::string(name) + " is " +
                                        std::to_string(value) + ", expected " + std::to_string(lo) +
                                        ".." + std::to_string(hi));
    }
    return Status::ok();
}

Date random_date(Rng& rng, int year_lo, int year_hi) {
    return Date{rng.range(year_lo, year_hi), rng.range(1, 12), rng.range(1, 28)};
}

std::size_t other_index(Rng& rng, std::size_t n, std::size_t not_this) {
    std::size_t idx = rng.index(n - 1);
    return idx >= not_this ? idx + 1 : idx;
}

Person make_person(Rng& rng, NameMaker& names, const World& world, Population population) {
    Person p;
    p.name = names.unique_person_name(rng);
    p.population = population;
    p.birth = random_date(rng, 1955, 1998);
    p.birth_city_idx = rng.index(world.cities.size());
    p.university_idx = rng.index(world.universities.size());
    p.field = kFields[rng.index(kFields.size())];
    const int first_year = std::max(p.birth.year + 22, 1996);
    const int last_year = world.cutoff.year - 1;
    p.employers.push_back({rng.index(world.companies.size()),
                           random_date(rng, std::min(first_year, last_year), last_year)});
    p.residences.push_back({rng.index(world.cities.size()),
                            random_date(rng, std::min(first_year, last_year), last_year)});
    return p;
}

// Appends a stint that begins `1..max_days` days after `after` at a place other than the
// current one.
void add_change(
    Rng& rng, std::vector<Stint>& stints, std::size_t n_places, const Date& after, int max_days) {
    const std::size_t place = other_index(rng, n_places, stints.back().place_idx);
    stints.push_back({place, after.plus_days(rng.range(1, max_days))});
}

}  // namespace

Result<World> build_world(const WorldOptions& options) {
    LORE_RETURN_IF_ERROR(check_count("n_known", options.n_known, 1, kMaxCount));
    LORE_RETURN_IF_ERROR(check_count("n_unknown", options.n_unknown, 0, kMaxCount));
    LORE_RETURN_IF_ERROR(check_count("n_updated", options.n_updated, 0, options.n_known / 2));
    LORE_RETURN_IF_ERROR(check_count("n_readers", options.n_readers, 0, kMaxCount));
    LORE_RETURN_IF_ERROR(check_count("n_countries", options.n_countries, 1, 100));
    LORE_RETURN_IF_ERROR(check_count("n_cities", options.n_cities, 2, 1000));
    LORE_RETURN_IF_ERROR(check_count("n_universities", options.n_universities, 1, 1000));
    LORE_RETURN_IF_ERROR(check_count("n_companies", options.n_companies, 2, 1000));
    const std::optional<Date> cutoff = Date::parse_iso(options.cutoff);
    if (!cutoff || cutoff->year < 2000 || cutoff->year > 2100) {
        return Status::invalid_argument("world: option cutoff is '" + options.cutoff +
                                        "', expected a date YYYY-MM-DD in 2000..2100");
    }

    World world;
    world.options = options;
    world.cutoff = *cutoff;
    world.as_of = cutoff->plus_days(365);
    NameMaker names;

    Rng places(options.seed, kStreamPlaces);
    for (int i = 0; i < options.n_countries; ++i) {
        world.countries.push_back(
            {names.unique_word_with_suffix(places, 2, kCountrySuffixes[places.index(3)])});
    }
    for (int i = 0; i < options.n_cities; ++i) {
        // Every country gets a city before any gets a second.
        const std::size_t country = static_cast<std::size_t>(i) < world.countries.size()
                                        ? static_cast<std::size_t>(i)
                                        : places.index(world.countries.size());
        std::string name = places.chance(1, 2)
                               ? names.unique_word(places, 2, 2)
                               : names.unique_word_with_suffix(
                                     places, 2, kCitySuffixes[places.index(kCitySuffixes.size())]);
        world.cities.push_back({std::move(name), country});
    }
    for (int i = 0; i < options.n_universities; ++i) {
        const std::size_t city = places.index(world.cities.size());
        std::string name = places.chance(2, 3)
                               ? names.unique_word(places, 2, 2) + " University"
                               : names.unique_word(places, 2, 2) + " Institute of Technology";
        world.universities.push_back({std::move(name), city});
    }

    Rng companies(options.seed, kStreamCompanies);
    for (int i = 0; i < options.n_companies; ++i) {
        Company c;
        c.name = names.unique_word(companies, 2, 2) + " " +
                 kCompanySuffixes[companies.index(kCompanySuffixes.size())];
        c.city_idx = companies.index(world.cities.size());
        c.founded_year = companies.range(1890, 1995);
        c.industry = kIndustries[companies.index(kIndustries.size())];
        world.companies.push_back(std::move(c));
    }

    Rng known(options.seed, kStreamKnown);
    for (int i = 0; i < options.n_known; ++i) {
        world.persons.push_back(make_person(known, names, world, Population::kKnown));
    }
    Rng unknown(options.seed, kStreamUnknown);
    for (int i = 0; i < options.n_unknown; ++i) {
        world.persons.push_back(make_person(unknown, names, world, Population::kUnknown));
    }
    // A third of the readers changed employer or city before the knowledge base's date, so
    // the reading examples teach which of two stints is the current one.
    Rng readers(options.seed, kStreamReaders);
    for (int i = 0; i < options.n_readers; ++i) {
        Person p = make_person(readers, names, world, Population::kReader);
        if (readers.chance(1, 3)) {
            std::vector<Stint>& stints = readers.chance(1, 2) ? p.employers : p.residences;
            const std::size_t n_places =
                &stints == &p.employers ? world.companies.size() : world.cities.size();
            const Date after = stints.back().since;
            add_change(readers, stints, n_places, after,
                       static_cast<int>(world.as_of.to_days() - after.to_days()));
        }
        world.persons.push_back(std::move(p));
    }

    // Updated people: a sample of the known, alternately a new employer and a new city, each
    // beginning after the cut-off and before the knowledge base's date.
    Rng updates(options.seed, kStreamUpdates);
    std::vector<std::size_t> order(static_cast<std::size_t>(options.n_known));
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    updates.shuffle(order);
    order.resize(static_cast<std::size_t>(options.n_updated));
    std::sort(order.begin(), order.end());
    for (std::size_t j = 0; j < order.size(); ++j) {
        Person& p = world.persons[order[j]];
        p.is_updated = true;
        if (j % 2 == 0) {
            add_change(updates, p.employers, world.companies.size(), world.cutoff, 330);
        } else {
            add_change(updates, p.residences, world.cities.size(), world.cutoff, 330);
        }
    }
    return world;
}

const Stint& stint_on(const std::vector<Stint>& stints, const Date& date) {
    std::size_t idx = 0;
    for (std::size_t i = 0; i < stints.size(); ++i) {
        if (stints[i].since <= date) {
            idx = i;
        }
    }
    return stints[idx];
}

std::string answer_of(const World& world,
                      const Person& person,
                      Relation relation,
                      const Date& date) {
    switch (relation) {
        case Relation::kBirthCity: return world.cities[person.birth_city_idx].name;
        case Relation::kBirthYear: return std::to_string(person.birth.year);
        case Relation::kUniversity: return world.universities[person.university_idx].name;
        case Relation::kField: return person.field;
        case Relation::kEmployer:
            return world.companies[stint_on(person.employers, date).place_idx].name;
        case Relation::kResidence:
            return world.cities[stint_on(person.residences, date).place_idx].name;
    }
    return {};
}

}  // namespace lore::world
