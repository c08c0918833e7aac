"""Byte-level BPE (GPT-2 style) for the synthetic world: training and encoding.

The pre-tokenizer is GPT-2's pattern, which llama.cpp and lore run for
`tokenizer.ggml.pre = "gpt2"`:

    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+

The world's text is ASCII, where \\p{L} is [A-Za-z] and \\p{N} is [0-9], so Python's `re`
with those classes cuts it identically (train.py checks that the text is ASCII). Each byte of
a word becomes its GPT-2 symbol (printable bytes stand for themselves, the others are moved to
U+0100 and up); merges are applied lowest rank first, leftmost first on equal ranks, as
llama.cpp and lore do.
"""

import collections
import re

PRE_TOKENIZER = re.compile(
    r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+")


def byte_symbols():
    """GPT-2's byte -> printable symbol table (a list of 256 one-character strings)."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) +
                 list(range(0xAE, 0xFF + 1)))
    table = {}
    extra = 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


SYMBOLS = byte_symbols()


def words_of(text):
    return PRE_TOKENIZER.findall(text)


def to_symbols(word):
    return "".join(SYMBOLS[b] for b in word.encode("utf-8"))


def train_merges(text, n_merges):
    """Learns up to `n_merges` merges from `text`; returns [(left, right), ...] in rank order.
    The most frequent adjacent pair wins; ties go to the lexicographically smallest pair, so
    training is deterministic."""
    word_counts = collections.Counter(to_symbols(w) for w in words_of(text))
    words = [list(w) for w in sorted(word_counts)]
    counts = [word_counts[w] for w in sorted(word_counts)]
    pair_counts = collections.Counter()
    where = collections.defaultdict(set)
    for idx, symbols in enumerate(words):
        for a, b in zip(symbols, symbols[1:]):
            pair_counts[(a, b)] += counts[idx]
            where[(a, b)].add(idx)
    merges = []
    while len(merges) < n_merges and pair_counts:
        best = min(pair_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if best[1] < 2:
            break
        pair = best[0]
        merges.append(pair)
        merged = pair[0] + pair[1]
        for idx in sorted(where.pop(pair, ())):
            symbols = words[idx]
            for a, b in zip(symbols, symbols[1:]):
                pair_counts[(a, b)] -= counts[idx]
                if pair_counts[(a, b)] <= 0:
                    del pair_counts[(a, b)]
            out = []
            i = 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == pair[0] and symbols[i + 1] == pair[1]:
                    out.append(merged)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            words[idx] = out
            for a, b in zip(out, out[1:]):
                pair_counts[(a, b)] += counts[idx]
                where[(a, b)].add(idx)
        pair_counts.pop(pair, None)
    return merges


class Tokenizer:
    """Encoder over a vocabulary: ids of the special tokens first, then the 256 byte symbols,
    then one token per merge."""

    def __init__(self, specials, merges):
        self.specials = list(specials)
        self.tokens = self.specials + SYMBOLS + [a + b for a, b in merges]
        self.merges = list(merges)
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self.ranks = {pair: r for r, pair in enumerate(merges)}
        self.cache = {}

    def encode_word(self, word):
        cached = self.cache.get(word)
        if cached is not None:
            return cached
        symbols = list(to_symbols(word))
        while len(symbols) > 1:
            best = None
            for i in range(len(symbols) - 1):
                rank = self.ranks.get((symbols[i], symbols[i + 1]))
                if rank is not None and (best is None or rank < best[0]):
                    best = (rank, i)
            if best is None:
                break
            i = best[1]
            symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
        ids = [self.ids[s] for s in symbols]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        out = []
        for w in words_of(text):
            out.extend(self.encode_word(w))
        return out

    def decode(self, ids):
        inverse = {s: b for b, s in enumerate(SYMBOLS)}
        data = bytearray()
        for i in ids:
            if i < len(self.specials):
                continue
            data.extend(inverse[c] for c in self.tokens[i])
        return data.decode("utf-8", errors="replace")
