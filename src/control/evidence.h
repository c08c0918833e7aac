// Checks of a closed-book answer against retrieved evidence (CRITIC's verify step, made
// cheap: one knowledge-base look-up, no model call):
//   - is the answer stated in the evidence at all?
//   - is the evidence newer than the model? A passage dated after the model's training
//     cut-off (general.training_cutoff) may hold a fact that changed since training —
//     exactly the case where the model is confident and wrong.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "lore/search.h"

namespace lore::control {

// Lower-cases ASCII letters and maps every run of non-alphanumeric bytes to one space.
std::string normalize_for_match(std::string_view text);

// True when the normalised answer occurs, on word boundaries, in the normalised text.
bool text_supports(std::string_view text, std::string_view answer);

// The latest calendar date written in `text`, as "YYYY-MM-DD" ("" when none). Recognises
// ISO dates, "26 October 2024", "October 26, 2024", "October 2024" and a bare year after
// "since", "in", "from" or "until".
std::string latest_date(std::string_view text);

}  // namespace lore::control
