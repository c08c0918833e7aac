#!/usr/bin/env python3
"""Writes a tiny random-weight `bert` GGUF and the embeddings an independent NumPy forward pass
computes for it: the oracle of lore's bert encoder (src/model/arch/bert.cpp), since no
pretrained embedding model can be downloaded here and llama.cpp's reference files cover only
decoders.

    python3 tools/make_bert_reference.py --out tests/testdata/models

writes tiny-bert-F16.gguf (matrices in F16, norms and biases in F32, as converted BERT models
store them) and tiny-bert-F16.reference.json: for every text, the WordPiece ids and the
L2-normalised mean- and CLS-pooled embeddings, computed in float64 from the F16-rounded weights.

The forward pass below is written from the BERT paper and the Hugging Face model's definition,
not from lore's code: post-norm blocks, exact-erf GELU, LayerNorm eps 1e-12, mean pooling over
every token including [CLS] and [SEP]. The vocabulary is small and made here (special tokens,
single characters and their ## continuations, and the words of the texts, written into the
GGUF in llama.cpp's spelling of WordPiece pieces); the WordPiece below
handles ASCII text only (lowercase, split on whitespace and punctuation, greedy longest match).
Needs numpy (Debian python3-numpy).
"""

import argparse
import json
import math
import os
import string
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "world"))
from gguf_writer import GgufWriter  # noqa: E402

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
TEXTS = [
    "hello world",
    "The quick brown fox jumps over the lazy dog.",
    "Embeddings map text to vectors; similar meanings land close together!",
    "lore retrieves only when the model does not know the answer, and cites its sources.",
    "zyxwvut qqq: unknown-words, numbers 12345 and punctuation (all split).",
    "a",
]
WORDS = ["hello", "world", "the", "quick", "brown", "fox", "jump", "##s", "over", "lazy", "dog",
         "embed", "##ding", "map", "text", "to", "vector", "similar", "mean", "##ing", "land",
         "close", "together", "lore", "retrieve", "only", "when", "model", "does", "not", "know",
         "answer", "and", "cite", "its", "source", "unknown", "word", "number", "12", "##34",
         "punctuation", "all", "split"]

N_EMBD, N_HEAD, N_LAYER, N_FF, N_CTX = 64, 4, 2, 128, 64
EPS = 1e-12


def vocabulary():
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    tokens = SPECIAL + chars + ["##" + c for c in string.ascii_lowercase + string.digits] + WORDS
    seen, out = set(), []
    for t in tokens:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def gguf_piece(token):
    if token in SPECIAL:
        return token
    return token[2:] if token.startswith("##") else "\u2581" + token


def wordpiece(text, vocab_index):
    """[CLS] pieces [SEP], BERT's basic tokenizer and greedy longest-match WordPiece (ASCII)."""
    words, current = [], ""
    for ch in text.lower():
        if ch.isspace():
            if current:
                words.append(current)
            current = ""
        elif ch in string.punctuation:
            if current:
                words.append(current)
            words.append(ch)
            current = ""
        else:
            current += ch
    if current:
        words.append(current)
    ids = [vocab_index["[CLS]"]]
    for word in words:
        pieces, start = [], 0
        while start < len(word):
            end, match = len(word), None
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in vocab_index:
                    match = piece
                    break
                end -= 1
            if match is None:
                pieces = [vocab_index["[UNK]"]]
                break
            pieces.append(vocab_index[match])
            start = end
        ids += pieces
    return ids + [vocab_index["[SEP]"]]


def random_weights(rng, n_vocab):
    def mat(rows, cols, scale):
        return (rng.standard_normal((rows, cols)) * scale).astype(np.float16)

    def vec(n, center, scale):
        return (center + rng.standard_normal(n) * scale).astype(np.float32)

    w = {
        "token_embd.weight": mat(n_vocab, N_EMBD, 0.5),
        "position_embd.weight": mat(N_CTX, N_EMBD, 0.2),
        "token_types.weight": mat(2, N_EMBD, 0.2),
        "token_embd_norm.weight": vec(N_EMBD, 1.0, 0.1),
        "token_embd_norm.bias": vec(N_EMBD, 0.0, 0.1),
    }
    for i in range(N_LAYER):
        p = "blk.%d." % i
        for name in ["attn_q", "attn_k", "attn_v", "attn_output"]:
            w[p + name + ".weight"] = mat(N_EMBD, N_EMBD, 1.0 / math.sqrt(N_EMBD))
            w[p + name + ".bias"] = vec(N_EMBD, 0.0, 0.05)
        w[p + "attn_output_norm.weight"] = vec(N_EMBD, 1.0, 0.1)
        w[p + "attn_output_norm.bias"] = vec(N_EMBD, 0.0, 0.1)
        w[p + "ffn_up.weight"] = mat(N_FF, N_EMBD, 1.0 / math.sqrt(N_EMBD))
        w[p + "ffn_up.bias"] = vec(N_FF, 0.0, 0.05)
        w[p + "ffn_down.weight"] = mat(N_EMBD, N_FF, 1.0 / math.sqrt(N_FF))
        w[p + "ffn_down.bias"] = vec(N_EMBD, 0.0, 0.05)
        w[p + "layer_output_norm.weight"] = vec(N_EMBD, 1.0, 0.1)
        w[p + "layer_output_norm.bias"] = vec(N_EMBD, 0.0, 0.1)
    return w


def layer_norm(x, weight, bias):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def forward(w, ids):
    """The last layer's hidden states [len(ids), N_EMBD], in float64."""
    f = {k: v.astype(np.float64) for k, v in w.items()}
    n = len(ids)
    x = f["token_embd.weight"][ids] + f["position_embd.weight"][:n] + f["token_types.weight"][0]
    x = layer_norm(x, f["token_embd_norm.weight"], f["token_embd_norm.bias"])
    head_dim = N_EMBD // N_HEAD
    for i in range(N_LAYER):
        p = "blk.%d." % i

        def linear(inp, name):
            # GGUF stores a linear layer's weight as [out, in] row-major: y = x W^T + b.
            return inp @ f[p + name + ".weight"].T + f[p + name + ".bias"]

        q, k, v = linear(x, "attn_q"), linear(x, "attn_k"), linear(x, "attn_v")
        heads = []
        for h in range(N_HEAD):
            s = slice(h * head_dim, (h + 1) * head_dim)
            scores = q[:, s] @ k[:, s].T / math.sqrt(head_dim)
            scores = np.exp(scores - scores.max(axis=1, keepdims=True))
            scores /= scores.sum(axis=1, keepdims=True)
            heads.append(scores @ v[:, s])
        attn = linear(np.concatenate(heads, axis=1), "attn_output")
        x = layer_norm(x + attn, f[p + "attn_output_norm.weight"], f[p + "attn_output_norm.bias"])
        ff = linear(gelu(linear(x, "ffn_up")), "ffn_down")
        x = layer_norm(x + ff, f[p + "layer_output_norm.weight"], f[p + "layer_output_norm.bias"])
    return x


def normalized(v):
    return v / np.linalg.norm(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="directory for the GGUF and the reference JSON")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)

    vocab = vocabulary()
    index = {t: i for i, t in enumerate(vocab)}
    weights = random_weights(rng, len(vocab))

    g = GgufWriter()
    g.string("general.architecture", "bert")
    g.string("general.name", "tiny-bert (random weights, lore test data)")
    g.u32("bert.context_length", N_CTX)
    g.u32("bert.embedding_length", N_EMBD)
    g.u32("bert.feed_forward_length", N_FF)
    g.u32("bert.block_count", N_LAYER)
    g.u32("bert.attention.head_count", N_HEAD)
    g.f32("bert.attention.layer_norm_epsilon", EPS)
    g.boolean("bert.attention.causal", False)
    g.u32("bert.pooling_type", 1)  # mean
    g.string("tokenizer.ggml.model", "bert")
    # GGUF spells WordPiece vocabularies as llama.cpp's converter does: a word-initial piece
    # gets U+2581 in front, a "##" continuation loses its "##", special tokens stay as they are.
    g.string_array("tokenizer.ggml.tokens", [gguf_piece(t) for t in vocab])
    types = [3 if t in SPECIAL else 1 for t in vocab]
    types[index["[UNK]"]] = 2
    g.i32_array("tokenizer.ggml.token_type", types)
    for key, token in [("unknown", "[UNK]"), ("seperator", "[SEP]"), ("padding", "[PAD]"),
                       ("cls", "[CLS]"), ("mask", "[MASK]")]:
        g.u32("tokenizer.ggml.%s_token_id" % key, index[token])
    for name, array in weights.items():
        g.tensor(name, array)
    os.makedirs(args.out, exist_ok=True)
    gguf_path = os.path.join(args.out, "tiny-bert-F16.gguf")
    g.write(gguf_path)

    cases = []
    for text in TEXTS:
        ids = wordpiece(text, index)
        states = forward(weights, ids)
        cases.append({
            "text": text,
            "ids": ids,
            "mean": [round(float(v), 7) for v in normalized(states.mean(axis=0))],
            "cls": [round(float(v), 7) for v in normalized(states[0])],
        })
    ref_path = os.path.join(args.out, "tiny-bert-F16.reference.json")
    with open(ref_path, "w") as f:
        json.dump({"model": "tiny-bert-F16.gguf", "generator": "tools/make_bert_reference.py",
                   "seed": args.seed, "cases": cases}, f, indent=1)
    print("wrote %s (%d bytes) and %s (%d texts)" % (gguf_path, os.path.getsize(gguf_path),
                                                      ref_path, len(cases)))


if __name__ == "__main__":
    main()
