// Backtracking regex over code points: a recursive-descent parser builds a small tree, which
// is flattened into a program (split/jump instructions, as in Thompson's construction) and run
// by a backtracking interpreter with an explicit stack. See regex.h for the syntax.
#include "tokenizer/regex.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace lore::tokenizer {
namespace {

constexpr std::uint32_t kUnbounded = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kNoMatch = std::numeric_limits<std::size_t>::max();

struct Node {
    enum class Kind { kEmpty, kClass, kConcat, kAlt, kRepeat, kLook, kBegin, kEnd };
    Kind kind = Kind::kEmpty;
    std::uint32_t cls = 0;
    std::uint32_t min = 0;
    std::uint32_t max = 0;
    bool greedy = true;
    bool negate = false;
    std::vector<Node> children;
};

// Category names accepted in \p{..}.
bool category_by_name(std::u32string_view name, CpFlags& flags) {
    struct Entry {
        std::u32string_view name;
        CpFlags flags;
    };

    static const Entry kEntries[] = {
        {U"L", kFlagsLetter},        {U"Lu", category_flag(kLu)}, {U"Ll", category_flag(kLl)},
        {U"Lt", category_flag(kLt)}, {U"Lm", category_flag(kLm)}, {U"Lo", category_flag(kLo)},
        {U"M", kFlagsMark},          {U"Mn", category_flag(kMn)}, {U"Mc", category_flag(kMc)},
        {U"Me", category_flag(kMe)}, {U"N", kFlagsNumber},        {U"Nd", category_flag(kNd)},
        {U"Nl", category_flag(kNl)}, {U"No", category_flag(kNo)}, {U"P", kFlagsPunctuation},
        {U"Pc", category_flag(kPc)}, {U"Pd", category_flag(kPd)}, {U"Ps", category_flag(kPs)},
        {U"Pe", category_flag(kPe)}, {U"Pi", category_flag(kPi)}, {U"Pf", category_flag(kPf)},
        {U"Po", category_flag(kPo)}, {U"S", kFlagsSymbol},        {U"Sm", category_flag(kSm)},
        {U"Sc", category_flag(kSc)}, {U"Sk", category_flag(kSk)}, {U"So", category_flag(kSo)},
        {U"Z", kFlagsSeparator},     {U"Zs", category_flag(kZs)}, {U"Zl", category_flag(kZl)},
        {U"Zp", category_flag(kZp)}, {U"C", kFlagsOther},         {U"Cc", category_flag(kCc)},
        {U"Cf", category_flag(kCf)}, {U"Co", category_flag(kCo)}, {U"Cn", category_flag(kCn)},
    };
    for (const Entry& entry : kEntries) {
        if (entry.name == name) {
            flags = entry.flags;
            return true;
        }
    }
    return false;
}

}  // namespace

// Parses a pattern into a Node tree and flattens it into a Regex program.
class RegexCompiler {
public:
    explicit RegexCompiler(std::string_view pattern) : pattern_(pattern) {
        const DecodedText decoded = decode_utf8(pattern, false);
        cps_ = decoded.cps;
    }

    Result<Regex> compile() {
        Node root;
        LORE_RETURN_IF_ERROR(parse_alternation(root));
        if (pos_ != cps_.size()) {
            return error("unbalanced ')'");
        }
        emit(root);
        program_.push_back(Regex::Inst{Regex::Op::kMatch});
        Regex regex;
        regex.pattern_ = std::string(pattern_);
        regex.classes_ = std::move(classes_);
        regex.program_ = std::move(program_);
        return regex;
    }

private:
    Status error(std::string_view what) const {
        return Status::invalid_argument("tokenizer: regex '" + std::string(pattern_) +
                                        "': " + std::string(what) + " at code point " +
                                        std::to_string(pos_));
    }

    bool at_end() const { return pos_ >= cps_.size(); }

    char32_t peek(std::size_t ahead = 0) const {
        return pos_ + ahead < cps_.size() ? cps_[pos_ + ahead] : 0;
    }

    std::uint32_t add_class(Regex::CharClass cls) {
        std::sort(cls.ranges.begin(), cls.ranges.end());
        std::vector<std::pair<char32_t, char32_t>> merged;
        for (const auto& range : cls.ranges) {
            if (!merged.empty() && range.first <= merged.back().second + 1) {
                merged.back().second = std::max(merged.back().second, range.second);
            } else {
                merged.push_back(range);
            }
        }
        cls.ranges = std::move(merged);
        classes_.push_back(std::move(cls));
        return static_cast<std::uint32_t>(classes_.size() - 1);
    }

    void add_literal(Regex::CharClass& cls, char32_t cp) const {
        cls.ranges.emplace_back(cp, cp);
        if (case_insensitive_ && cp < 0x80) {
            if (cp >= 'a' && cp <= 'z') {
                cls.ranges.emplace_back(cp - 32, cp - 32);
            } else if (cp >= 'A' && cp <= 'Z') {
                cls.ranges.emplace_back(cp + 32, cp + 32);
            }
        }
    }

    Status parse_alternation(Node& out) {
        Node alt;
        alt.kind = Node::Kind::kAlt;
        while (true) {
            Node seq;
            LORE_RETURN_IF_ERROR(parse_sequence(seq));
            alt.children.push_back(std::move(seq));
            if (!at_end() && peek() == '|') {
                ++pos_;
                continue;
            }
            break;
        }
        out = alt.children.size() == 1 ? std::move(alt.children[0]) : std::move(alt);
        return Status::ok();
    }

    Status parse_sequence(Node& out) {
        out.kind = Node::Kind::kConcat;
        while (!at_end() && peek() != '|' && peek() != ')') {
            Node atom;
            LORE_RETURN_IF_ERROR(parse_atom(atom));
            LORE_RETURN_IF_ERROR(parse_quantifier(atom));
            out.children.push_back(std::move(atom));
        }
        return Status::ok();
    }

    Status parse_number(std::uint32_t& value) {
        if (at_end() || peek() < '0' || peek() > '9') {
            return error("expected a number");
        }
        std::uint64_t v = 0;
        while (!at_end() && peek() >= '0' && peek() <= '9') {
            v = v * 10 + (peek() - '0');
            if (v > 1000) {
                return error("repeat count too large");
            }
            ++pos_;
        }
        value = static_cast<std::uint32_t>(v);
        return Status::ok();
    }

    Status parse_quantifier(Node& atom) {
        if (at_end()) {
            return Status::ok();
        }
        std::uint32_t min = 0;
        std::uint32_t max = 0;
        const char32_t c = peek();
        if (c == '*') {
            min = 0;
            max = kUnbounded;
            ++pos_;
        } else if (c == '+') {
            min = 1;
            max = kUnbounded;
            ++pos_;
        } else if (c == '?') {
            min = 0;
            max = 1;
            ++pos_;
        } else if (c == '{') {
            ++pos_;
            LORE_RETURN_IF_ERROR(parse_number(min));
            max = min;
            if (!at_end() && peek() == ',') {
                ++pos_;
                if (!at_end() && peek() == '}') {
                    max = kUnbounded;
                } else {
                    LORE_RETURN_IF_ERROR(parse_number(max));
                }
            }
            if (at_end() || peek() != '}') {
                return error("expected '}'");
            }
            ++pos_;
            if (max < min) {
                return error("repeat range {n,m} with m < n");
            }
        } else {
            return Status::ok();
        }
        bool greedy = true;
        if (!at_end() && peek() == '?') {
            greedy = false;
            ++pos_;
        }
        if (atom.kind == Node::Kind::kLook || atom.kind == Node::Kind::kBegin ||
            atom.kind == Node::Kind::kEnd) {
            return error("quantifier after an assertion");
        }
        Node repeat;
        repeat.kind = Node::Kind::kRepeat;
        repeat.min = min;
        repeat.max = max;
        repeat.greedy = greedy;
        repeat.children.push_back(std::move(atom));
        atom = std::move(repeat);
        if (!at_end() && (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{')) {
            return error("nested quantifier");
        }
        return Status::ok();
    }

    // An escape after '\\' (pos_ at the character after the backslash). Adds to `cls`.
    Status parse_escape_into(Regex::CharClass& cls) {
        if (at_end()) {
            return error("pattern ends in '\\'");
        }
        const char32_t c = peek();
        ++pos_;
        switch (c) {
            case 'r': add_literal(cls, '\r'); return Status::ok();
            case 'n': add_literal(cls, '\n'); return Status::ok();
            case 't': add_literal(cls, '\t'); return Status::ok();
            case 'f': add_literal(cls, '\f'); return Status::ok();
            case 'v': add_literal(cls, '\v'); return Status::ok();
            case 's': cls.category_mask |= kFlagWhitespace; return Status::ok();
            case 'S': cls.negated_category_mask |= kFlagWhitespace; return Status::ok();
            case 'd': cls.ranges.emplace_back('0', '9'); return Status::ok();
            case 'w':
                cls.ranges.emplace_back('0', '9');
                cls.ranges.emplace_back('A', 'Z');
                cls.ranges.emplace_back('a', 'z');
                cls.ranges.emplace_back('_', '_');
                return Status::ok();
            case 'p':
            case 'P': {
                if (at_end() || peek() != '{') {
                    return error("expected '{' after \\p");
                }
                const std::size_t name_begin = pos_ + 1;
                std::size_t name_end = name_begin;
                while (name_end < cps_.size() && cps_[name_end] != '}') {
                    ++name_end;
                }
                if (name_end >= cps_.size()) {
                    return error("unterminated \\p{");
                }
                const std::u32string_view name(cps_.data() + name_begin, name_end - name_begin);
                CpFlags flags = 0;
                if (!category_by_name(name, flags)) {
                    return error("unknown Unicode category");
                }
                pos_ = name_end + 1;
                if (c == 'p') {
                    cls.category_mask |= flags;
                } else {
                    cls.negated_category_mask |= flags;
                }
                return Status::ok();
            }
            default:
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
                    --pos_;
                    return error("unsupported escape");
                }
                add_literal(cls, c);
                return Status::ok();
        }
    }

    static bool is_single_literal(const Regex::CharClass& cls) {
        return cls.category_mask == 0 && cls.negated_category_mask == 0 && !cls.negated &&
               cls.ranges.size() == 1 && cls.ranges[0].first == cls.ranges[0].second;
    }

    Status parse_class(Node& out) {
        ++pos_;  // '['
        Regex::CharClass cls;
        if (!at_end() && peek() == '^') {
            cls.negated = true;
            ++pos_;
        }
        bool first = true;
        while (true) {
            if (at_end()) {
                return error("unterminated '['");
            }
            char32_t c = peek();
            if (c == ']' && !first) {
                ++pos_;
                break;
            }
            first = false;
            Regex::CharClass item;
            if (c == '\\') {
                ++pos_;
                LORE_RETURN_IF_ERROR(parse_escape_into(item));
            } else {
                ++pos_;
                item.ranges.emplace_back(c, c);
            }
            // A range a-b: both ends must be single characters.
            if (is_single_literal(item) && !at_end() && peek() == '-' && pos_ + 1 < cps_.size() &&
                cps_[pos_ + 1] != ']') {
                ++pos_;
                Regex::CharClass hi;
                if (peek() == '\\') {
                    ++pos_;
                    LORE_RETURN_IF_ERROR(parse_escape_into(hi));
                } else {
                    hi.ranges.emplace_back(peek(), peek());
                    ++pos_;
                }
                if (!is_single_literal(hi) || hi.ranges[0].first < item.ranges[0].first) {
                    return error("bad range in class");
                }
                const char32_t lo_cp = item.ranges[0].first;
                const char32_t hi_cp = hi.ranges[0].first;
                cls.ranges.emplace_back(lo_cp, hi_cp);
                if (case_insensitive_) {
                    for (char32_t cp = std::max<char32_t>(lo_cp, 'A');
                         cp <= std::min<char32_t>(hi_cp, 'z'); ++cp) {
                        add_literal(cls, cp);
                    }
                }
                continue;
            }
            for (const auto& range : item.ranges) {
                if (range.first == range.second) {
                    add_literal(cls, range.first);
                } else {
                    cls.ranges.push_back(range);
                }
            }
            cls.category_mask |= item.category_mask;
            cls.negated_category_mask |= item.negated_category_mask;
        }
        out.kind = Node::Kind::kClass;
        out.cls = add_class(std::move(cls));
        return Status::ok();
    }

    Status parse_group(Node& out) {
        ++pos_;  // '('
        const bool saved_case = case_insensitive_;
        bool is_look = false;
        bool negate = false;
        if (peek() == '?') {
            const char32_t kind = peek(1);
            if (kind == ':') {
                pos_ += 2;
            } else if (kind == 'i' && peek(2) == ':') {
                pos_ += 3;
                case_insensitive_ = true;
            } else if (kind == '=' || kind == '!') {
                pos_ += 2;
                is_look = true;
                negate = kind == '!';
            } else {
                return error("unsupported group kind");
            }
        }
        Node inner;
        LORE_RETURN_IF_ERROR(parse_alternation(inner));
        case_insensitive_ = saved_case;
        if (at_end() || peek() != ')') {
            return error("missing ')'");
        }
        ++pos_;
        if (is_look) {
            out.kind = Node::Kind::kLook;
            out.negate = negate;
            out.children.push_back(std::move(inner));
        } else {
            out = std::move(inner);
        }
        return Status::ok();
    }

    Status parse_atom(Node& out) {
        const char32_t c = peek();
        if (c == '(') {
            return parse_group(out);
        }
        if (c == '[') {
            return parse_class(out);
        }
        if (c == '*' || c == '+' || c == '?' || c == '{') {
            return error("quantifier without an operand");
        }
        if (c == '^') {
            ++pos_;
            out.kind = Node::Kind::kBegin;
            return Status::ok();
        }
        if (c == '$') {
            ++pos_;
            out.kind = Node::Kind::kEnd;
            return Status::ok();
        }
        Regex::CharClass cls;
        if (c == '.') {
            ++pos_;
            cls.negated = true;
            cls.ranges.emplace_back('\n', '\n');
            cls.ranges.emplace_back('\r', '\r');
        } else if (c == '\\') {
            ++pos_;
            LORE_RETURN_IF_ERROR(parse_escape_into(cls));
        } else {
            ++pos_;
            add_literal(cls, c);
        }
        out.kind = Node::Kind::kClass;
        out.cls = add_class(std::move(cls));
        return Status::ok();
    }

    std::uint32_t here() const { return static_cast<std::uint32_t>(program_.size()); }

    std::uint32_t push(Regex::Inst inst) {
        program_.push_back(inst);
        return here() - 1;
    }

    void emit(const Node& node) {
        using Op = Regex::Op;
        switch (node.kind) {
            case Node::Kind::kEmpty: return;
            case Node::Kind::kClass: push({Op::kClass, false, node.cls}); return;
            case Node::Kind::kBegin: push({Op::kAssertBegin}); return;
            case Node::Kind::kEnd: push({Op::kAssertEnd}); return;
            case Node::Kind::kConcat:
                for (const Node& child : node.children) {
                    emit(child);
                }
                return;
            case Node::Kind::kAlt: {
                std::vector<std::uint32_t> jumps_to_end;
                for (std::size_t i = 0; i < node.children.size(); ++i) {
                    if (i + 1 < node.children.size()) {
                        const std::uint32_t split = push({Op::kSplit});
                        program_[split].x = here();
                        emit(node.children[i]);
                        jumps_to_end.push_back(push({Op::kJump}));
                        program_[split].y = here();
                    } else {
                        emit(node.children[i]);
                    }
                }
                for (std::uint32_t jump : jumps_to_end) {
                    program_[jump].x = here();
                }
                return;
            }
            case Node::Kind::kLook: {
                const std::uint32_t look = push({Op::kLookahead, node.negate});
                const std::uint32_t skip = push({Op::kJump});
                program_[look].x = here();
                emit(node.children[0]);
                push({Op::kMatch});
                program_[skip].x = here();
                return;
            }
            case Node::Kind::kRepeat: emit_repeat(node); return;
        }
    }

    void emit_repeat(const Node& node) {
        using Op = Regex::Op;
        const Node& body = node.children[0];
        if (body.kind == Node::Kind::kClass && node.greedy) {
            Regex::Inst inst{Op::kRepeatClass, false, body.cls};
            inst.min = node.min;
            inst.max = node.max;
            push(inst);
            return;
        }
        for (std::uint32_t i = 0; i < node.min; ++i) {
            emit(body);
        }
        if (node.max == kUnbounded) {
            const std::uint32_t split = push({Op::kSplit});
            const std::uint32_t body_start = here();
            emit(body);
            push({Op::kJump, false, 0, split});
            const std::uint32_t after = here();
            program_[split].x = node.greedy ? body_start : after;
            program_[split].y = node.greedy ? after : body_start;
            return;
        }
        std::vector<std::uint32_t> splits;
        for (std::uint32_t i = node.min; i < node.max; ++i) {
            const std::uint32_t split = push({Op::kSplit});
            splits.push_back(split);
            program_[split].x = here();  // body start (patched for lazy below)
            emit(body);
        }
        const std::uint32_t after = here();
        for (std::uint32_t split : splits) {
            const std::uint32_t body_start = program_[split].x;
            program_[split].x = node.greedy ? body_start : after;
            program_[split].y = node.greedy ? after : body_start;
        }
    }

    std::string_view pattern_;
    std::vector<char32_t> cps_;
    std::size_t pos_ = 0;
    bool case_insensitive_ = false;
    std::vector<Regex::CharClass> classes_;
    std::vector<Regex::Inst> program_;
};

bool Regex::CharClass::matches(char32_t cp, CpFlags flags) const {
    bool in = (flags & category_mask) != 0 ||
              (negated_category_mask != 0 && (flags & negated_category_mask) == 0);
    if (!in && !ranges.empty()) {
        // First range whose end is >= cp.
        auto it = std::lower_bound(ranges.begin(), ranges.end(), cp,
                                   [](const std::pair<char32_t, char32_t>& range, char32_t v) {
                                       return range.second < v;
                                   });
        in = it != ranges.end() && it->first <= cp;
    }
    return in != negated;
}

Result<Regex> Regex::compile(std::string_view pattern) {
    RegexCompiler compiler(pattern);
    return compiler.compile();
}

std::size_t Regex::run(std::uint32_t start_pc,
                       const DecodedText& text,
                       std::size_t start_pos,
                       std::size_t range_begin,
                       std::size_t range_end,
                       std::vector<BacktrackEntry>& stack) const {
    stack.clear();
    std::uint32_t pc = start_pc;
    std::size_t pos = start_pos;
    while (true) {
        bool failed = false;
        const Inst& inst = program_[pc];
        switch (inst.op) {
            case Op::kClass:
                if (pos < range_end && classes_[inst.arg].matches(text.cps[pos], text.flags[pos])) {
                    ++pos;
                    ++pc;
                } else {
                    failed = true;
                }
                break;
            case Op::kRepeatClass: {
                const CharClass& cls = classes_[inst.arg];
                const std::size_t limit = inst.max == kUnbounded
                                              ? range_end
                                              : std::min<std::size_t>(range_end, pos + inst.max);
                std::size_t run_end = pos;
                while (run_end < limit && cls.matches(text.cps[run_end], text.flags[run_end])) {
                    ++run_end;
                }
                if (run_end - pos < inst.min) {
                    failed = true;
                    break;
                }
                if (run_end > pos + inst.min) {
                    stack.push_back({pc + 1, true, run_end, pos + inst.min});
                }
                pos = run_end;
                ++pc;
                break;
            }
            case Op::kSplit:
                stack.push_back({inst.y, false, pos, 0});
                pc = inst.x;
                break;
            case Op::kJump: pc = inst.x; break;
            case Op::kLookahead: {
                std::vector<BacktrackEntry> sub_stack;
                const bool matched =
                    run(inst.x, text, pos, range_begin, range_end, sub_stack) != kNoMatch;
                if (matched != inst.negate) {
                    ++pc;
                } else {
                    failed = true;
                }
                break;
            }
            case Op::kAssertBegin:
                if (pos == range_begin) {
                    ++pc;
                } else {
                    failed = true;
                }
                break;
            case Op::kAssertEnd:
                if (pos == range_end) {
                    ++pc;
                } else {
                    failed = true;
                }
                break;
            case Op::kMatch: return pos;
        }
        if (!failed) {
            continue;
        }
        if (stack.empty()) {
            return kNoMatch;
        }
        BacktrackEntry& top = stack.back();
        if (top.is_run) {
            --top.pos;
            pc = top.pc;
            pos = top.pos;
            if (top.pos <= top.min_pos) {
                stack.pop_back();
            }
        } else {
            pc = top.pc;
            pos = top.pos;
            stack.pop_back();
        }
    }
}

Regex::Match Regex::search(const DecodedText& text, std::size_t begin, std::size_t end) const {
    std::vector<BacktrackEntry> stack;
    for (std::size_t start = begin; start < end; ++start) {
        const std::size_t match_end = run(0, text, start, begin, end, stack);
        if (match_end != kNoMatch && match_end > start) {
            return Match{true, start, match_end};
        }
    }
    return Match{false, end, end};
}

}  // namespace lore::tokenizer
