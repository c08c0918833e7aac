// Date: a proleptic Gregorian calendar day, as the world's facts carry them. Conversions to
// and from a day count (days since 1970-01-01) make date arithmetic exact and portable.
//
// Thread safety: a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lore::world {

struct Date {
    int year = 1970;
    int month = 1;  // 1..12
    int day = 1;    // 1..31

    // Days since 1970-01-01 (negative before it).
    std::int64_t to_days() const;
    static Date from_days(std::int64_t days);

    Date plus_days(std::int64_t n) const { return from_days(to_days() + n); }

    std::string iso() const;         // "1984-03-12"
    std::string text() const;        // "12 March 1984"
    std::string month_year() const;  // "March 1984"

    // Parses "YYYY-MM-DD" with a valid month and day; nullopt otherwise.
    static std::optional<Date> parse_iso(std::string_view text);

    friend bool operator==(const Date&, const Date&) = default;
    friend auto operator<=>(const Date&, const Date&) = default;
};

}  // namespace lore::world
