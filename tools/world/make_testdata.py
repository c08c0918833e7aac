#!/usr/bin/env python3
"""Writes the reference data that tests/world/world_model_test.cpp compares lore's engine
against, computed in PyTorch from the GGUF file itself (so it matches the committed weights):

    python3 tools/world/make_testdata.py --model models/world-tiny.gguf --world DIR \
        --out tests/testdata/world

reference.txt (one `key value...` line each; text values escape \\n and \\\\):
    train_ids <count> <fnv1a64 hex>   ids of train.txt: per document (split at blank lines,
                                      each ending in \\n) BOS then encode(document), as
                                      int32 little-endian bytes hashed with FNV-1a 64
    known <question> / known_answer <answer>      a known question PyTorch answers right
    unknown <question> / unknown_answer <gold> / unknown_model_answer <what PyTorch says>
    case <file> <n_ids> <id...>       a prompt's ids (BOS first) and its logits file
    prompt <text>                     the prompt text of the case before it
logits_<i>.f32: per position, float32 LE: logsumexp of the row, argmax id, then the logits of
ids 0, 7, 14, ... (every 7th id; with the logsumexp and argmax this pins the whole row).
"""

import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import train  # noqa: E402
from gguf_writer import read_gguf  # noqa: E402

STRIDE = 7


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def escape(s):
    return s.replace("\\", "\\\\").replace("\n", "\\n")


def load(path):
    meta, tensors = read_gguf(path)
    types = meta["tokenizer.ggml.token_type"]
    tokens = meta["tokenizer.ggml.tokens"]
    n_specials = 0
    while n_specials < len(types) and types[n_specials] == 3:
        n_specials += 1
    merges = [tuple(m.split(" ")) for m in meta["tokenizer.ggml.merges"]]
    tok = bpe.Tokenizer(tokens[:n_specials], merges)
    assert tok.tokens == tokens, "vocabulary is not specials + bytes + merges"

    class Args:
        pass
    a = Args()
    a.dim = meta["llama.embedding_length"]
    a.layers = meta["llama.block_count"]
    a.heads = meta["llama.attention.head_count"]
    a.ffn = meta["llama.feed_forward_length"]
    a.ctx = meta["llama.context_length"]
    cfg = train.Config(a, len(tokens))
    model = train.Model(cfg)

    def t(name):
        return torch.from_numpy(tensors[name].astype(np.float32).copy())
    with torch.no_grad():
        model.embed.weight.copy_(t("token_embd.weight"))
        for i, b in enumerate(model.blocks):
            p = "blk.%d." % i
            b.attn_norm.weight.copy_(t(p + "attn_norm.weight"))
            b.wq.weight.copy_(t(p + "attn_q.weight"))
            b.wk.weight.copy_(t(p + "attn_k.weight"))
            b.wv.weight.copy_(t(p + "attn_v.weight"))
            b.wo.weight.copy_(t(p + "attn_output.weight"))
            b.ffn_norm.weight.copy_(t(p + "ffn_norm.weight"))
            b.gate.weight.copy_(t(p + "ffn_gate.weight"))
            b.up.weight.copy_(t(p + "ffn_up.weight"))
            b.down.weight.copy_(t(p + "ffn_down.weight"))
        model.norm.weight.copy_(t("output_norm.weight"))
    model.eval()
    return meta, tok, model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--world", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--allow-untrained", action="store_true", help="for trying the pipeline")
    args = ap.parse_args()
    torch.set_num_threads(1)
    meta, tok, model = load(args.model)
    bos = tok.ids[train.BOS]

    with open(os.path.join(args.world, "train.txt"), encoding="utf-8") as f:
        text = f.read()
    ids = []
    for d in text.split("\n\n"):
        ids.append(bos)
        ids.extend(tok.encode(d if d.endswith("\n") else d + "\n"))
    lines = ["train_ids %d %016x" % (len(ids), fnv1a64(struct.pack("<%di" % len(ids), *ids)))]

    known = train.read_jsonl(os.path.join(args.world, "qa", "known.jsonl"))
    unknown = train.read_jsonl(os.path.join(args.world, "qa", "unknown.jsonl"))
    known_got = train.greedy_answers(model, tok, [train.closed_book_prompt(r["question"])
                                                  for r in known[:20]])
    k = next((i for i, g in enumerate(known_got) if g in known[i]["answers"]), None)
    unknown_got = train.greedy_answers(model, tok, [train.closed_book_prompt(r["question"])
                                                    for r in unknown[:20]])
    u = next((i for i, g in enumerate(unknown_got) if g not in unknown[i]["answers"] and g), None)
    if k is None or u is None:
        if not args.allow_untrained:
            sys.exit("make_testdata.py: no known question answered right or unknown answered wrong")
        k, u = k or 0, u or 0
    lines += ["known " + escape(known[k]["question"]),
              "known_answer " + escape(known[k]["answers"][0]),
              "unknown " + escape(unknown[u]["question"]),
              "unknown_answer " + escape(unknown[u]["answers"][0]),
              "unknown_model_answer " + escape(unknown_got[u])]

    prompts = [
        train.closed_book_prompt(known[k]["question"]),
        train.closed_book_prompt(unknown[u]["question"]) + " " + unknown_got[u] + "\n",
        "[1] " + train.corpus_paragraph(args.world, known[0]["subject"]).split(". ")[0] +
        ".\nQ: Where was " + known[0]["subject"] + " born?\nA:",
    ]
    os.makedirs(args.out, exist_ok=True)
    with torch.no_grad():
        for i, p in enumerate(prompts):
            pid = [bos] + tok.encode(p)
            logits = model(torch.tensor([pid]))[0].double()
            rows = []
            for row in logits:
                lse = torch.logsumexp(row, 0).item()
                rows.append([lse, float(int(torch.argmax(row)))] + row[::STRIDE].tolist())
            name = "logits_%d.f32" % i
            np.asarray(rows, dtype="<f4").tofile(os.path.join(args.out, name))
            lines.append("case %s %d %s" % (name, len(pid), " ".join(map(str, pid))))
            lines.append("prompt " + escape(p))
    with open(os.path.join(args.out, "reference.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[:6]))


if __name__ == "__main__":
    main()
