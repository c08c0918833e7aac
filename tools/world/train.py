#!/usr/bin/env python3
"""Trains the synthetic world's model: a byte-level BPE tokenizer and a small `llama` decoder
on DIR/train.txt (written by `lore world generate`), then writes the GGUF, a JSON report of
the run. tools/world/make_testdata.py then writes the engine tests' reference data.

    lore world generate --seed 1 --out /tmp/world
    python3 tools/world/train.py --world /tmp/world --out models/world-tiny.gguf \
        --report /tmp/world-train.json

The architecture is llama as llama.cpp runs it: pre-norm blocks with RMSNorm (eps 1e-5),
attention with rotary embeddings that rotate adjacent pairs (2i, 2i+1) of each head (the
"normal" rope of GGUF llama files, so the weights are written as they are trained), SwiGLU,
a final RMSNorm and an output matrix tied to the token embeddings. Needs python3-torch and
numpy (Debian packages); a fast BLAS (libopenblas0) makes it about 6x faster.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
from gguf_writer import GgufWriter  # noqa: E402

BOS, EOS = "<s>", "</s>"


# ---- model ----------------------------------------------------------------------------------

class Config:
    def __init__(self, args, n_vocab):
        self.n_vocab = n_vocab
        self.dim = args.dim
        self.n_layers = args.layers
        self.n_heads = args.heads
        self.ffn = args.ffn
        self.n_ctx = args.ctx
        self.eps = 1e-5
        self.rope_base = 10000.0
        self.head_dim = self.dim // self.n_heads


class RMSNorm(torch.nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg, n_pos):
    # theta_i = base^(-2i/head_dim) for pair i = (2i, 2i+1).
    inv = cfg.rope_base ** (-torch.arange(0, cfg.head_dim, 2, dtype=torch.float64) / cfg.head_dim)
    angles = torch.arange(n_pos, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(angles).float(), torch.sin(angles).float()


def apply_rope(x, cos, sin):
    # x: [B, H, T, hd]; adjacent pairs rotate together.
    x0 = x[..., 0::2]
    x1 = x[..., 1::2]
    c = cos[: x.shape[2]]
    s = sin[: x.shape[2]]
    out = torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1)
    return out.flatten(-2)


class Block(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, f = cfg.dim, cfg.ffn
        self.cfg = cfg
        self.attn_norm = RMSNorm(d, cfg.eps)
        self.wq = torch.nn.Linear(d, d, bias=False)
        self.wk = torch.nn.Linear(d, d, bias=False)
        self.wv = torch.nn.Linear(d, d, bias=False)
        self.wo = torch.nn.Linear(d, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg.eps)
        self.gate = torch.nn.Linear(d, f, bias=False)
        self.up = torch.nn.Linear(d, f, bias=False)
        self.down = torch.nn.Linear(f, d, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, d = x.shape
        h, hd = self.cfg.n_heads, self.cfg.head_dim
        y = self.attn_norm(x)
        q = self.wq(y).view(b, t, h, hd).transpose(1, 2)
        k = self.wk(y).view(b, t, h, hd).transpose(1, 2)
        v = self.wv(y).view(b, t, h, hd).transpose(1, 2)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(mask[:t, :t], float("-inf")).softmax(-1)
        a = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.wo(a)
        y = self.ffn_norm(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class Model(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = torch.nn.Embedding(cfg.n_vocab, cfg.dim)
        self.blocks = torch.nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.eps)
        cos, sin = rope_tables(cfg, cfg.n_ctx)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        mask = torch.triu(torch.ones(cfg.n_ctx, cfg.n_ctx, dtype=torch.bool), 1)
        self.register_buffer("mask", mask, persistent=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02
                if name.endswith("wo.weight") or name.endswith("down.weight"):
                    std = 0.02 / math.sqrt(2 * cfg.n_layers)
                torch.nn.init.normal_(p, mean=0.0, std=std)

    def forward(self, ids):
        # ids: [B, T] -> logits [B, T, n_vocab]; position i scores token i + 1.
        x = self.embed(ids)
        for blk in self.blocks:
            x = blk(x, self.cos, self.sin, self.mask)
        return self.norm(x) @ self.embed.weight.t()


# ---- data -----------------------------------------------------------------------------------

def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def closed_book_prompt(question):
    return "Q: " + question + "\nA:"


def open_book_prompt(passages, question):
    lines = "".join("[%d] %s\n" % (i + 1, p.replace("\n", " ")) for i, p in enumerate(passages))
    return lines + closed_book_prompt(question)


def corpus_paragraph(world_dir, name):
    path = os.path.join(world_dir, "corpus", "persons", name.lower().replace(" ", "-") + ".md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text.split("\n\n", 1)[1].strip()


def epoch_stream(doc_ids, is_reading, reading_fraction, bos, gen):
    """One epoch: every document once (each open-book reading example with probability
    `reading_fraction`), BOS first, in a seeded random order."""
    order = torch.randperm(len(doc_ids), generator=gen).tolist()
    keep = torch.rand(len(doc_ids), generator=gen).tolist()
    stream = []
    for i in order:
        if is_reading[i] and keep[i] >= reading_fraction:
            continue
        stream.append(bos)
        stream.extend(doc_ids[i])
    return torch.tensor(stream, dtype=torch.long)


# ---- evaluation -----------------------------------------------------------------------------

@torch.no_grad()
def greedy_answers(model, tok, prompts, max_tokens=16, batch=64):
    """Greedy continuation of each prompt up to the first newline (or max_tokens)."""
    bos = tok.ids[BOS]
    eos = tok.ids[EOS]
    answers = []
    for start in range(0, len(prompts), batch):
        chunk = [[bos] + tok.encode(p) for p in prompts[start:start + batch]]
        outs = [[] for _ in chunk]
        done = [False] * len(chunk)
        seqs = [list(c) for c in chunk]
        for _ in range(max_tokens):
            n = max(len(s) for s in seqs)
            # Left-aligned with padding on the right; read logits at each sequence's end.
            ids = torch.full((len(seqs), n), bos, dtype=torch.long)
            for i, s in enumerate(seqs):
                ids[i, : len(s)] = torch.tensor(s)
            logits = model(ids)
            for i, s in enumerate(seqs):
                if done[i]:
                    continue
                nxt = int(torch.argmax(logits[i, len(s) - 1]))
                if nxt == eos:
                    done[i] = True
                    continue
                s.append(nxt)
                outs[i].append(nxt)
                if "\n" in tok.decode(outs[i]):
                    done[i] = True
            if all(done):
                break
        for o in outs:
            answers.append(tok.decode(o).split("\n")[0].strip())
    return answers


def exact_match(model, tok, records, passages=None):
    prompts = []
    for i, r in enumerate(records):
        if passages is None:
            prompts.append(closed_book_prompt(r["question"]))
        else:
            prompts.append(open_book_prompt(passages[i], r["question"]))
    got = greedy_answers(model, tok, prompts)
    hits = [g in r["answers"] for g, r in zip(got, records)]
    stale = [g in r.get("stale_answers", []) for g, r in zip(got, records)]
    return sum(hits) / max(1, len(hits)), sum(stale) / max(1, len(stale)), got


# ---- GGUF -----------------------------------------------------------------------------------

def f16_rounded_(model):
    """Rounds every matrix to float16 (what the GGUF stores) in place."""
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(p.half().float())


def write_gguf(path, model, tok, cfg, meta):
    w = GgufWriter()
    w.string("general.architecture", "llama")
    w.string("general.name", "world-tiny")
    w.u32("general.file_type", 1)  # mostly F16
    w.string("general.training_cutoff", meta["cutoff"])
    w.u64("lore.world.seed", meta["seed"])
    w.string("lore.world.cutoff", meta["cutoff"])
    w.string("lore.world.as_of", meta["as_of"])
    if meta.get("passages"):
        # How many passages the model reads well; lore ask/eval use it when -k is not given.
        w.u32("lore.prompt.passages", meta["passages"])
    w.u32("llama.context_length", cfg.n_ctx)
    w.u32("llama.embedding_length", cfg.dim)
    w.u32("llama.block_count", cfg.n_layers)
    w.u32("llama.feed_forward_length", cfg.ffn)
    w.u32("llama.attention.head_count", cfg.n_heads)
    w.u32("llama.attention.head_count_kv", cfg.n_heads)
    w.f32("llama.rope.freq_base", cfg.rope_base)
    w.f32("llama.attention.layer_norm_rms_epsilon", cfg.eps)
    w.u32("llama.rope.dimension_count", cfg.head_dim)
    w.u32("llama.vocab_size", cfg.n_vocab)
    w.string("tokenizer.ggml.model", "gpt2")
    w.string("tokenizer.ggml.pre", "gpt2")
    w.string_array("tokenizer.ggml.tokens", tok.tokens)
    w.i32_array("tokenizer.ggml.token_type",
                [3 if i < len(tok.specials) else 1 for i in range(len(tok.tokens))])
    w.string_array("tokenizer.ggml.merges", [a + " " + b for a, b in tok.merges])
    w.u32("tokenizer.ggml.bos_token_id", tok.ids[BOS])
    w.u32("tokenizer.ggml.eos_token_id", tok.ids[EOS])
    w.boolean("tokenizer.ggml.add_bos_token", True)
    w.boolean("tokenizer.ggml.add_eos_token", False)

    def mat(t):
        return t.detach().numpy().astype(np.float16)

    def vec(t):
        return t.detach().numpy().astype(np.float32)

    w.tensor("token_embd.weight", mat(model.embed.weight))
    for i, b in enumerate(model.blocks):
        p = "blk.%d." % i
        w.tensor(p + "attn_norm.weight", vec(b.attn_norm.weight))
        w.tensor(p + "attn_q.weight", mat(b.wq.weight))
        w.tensor(p + "attn_k.weight", mat(b.wk.weight))
        w.tensor(p + "attn_v.weight", mat(b.wv.weight))
        w.tensor(p + "attn_output.weight", mat(b.wo.weight))
        w.tensor(p + "ffn_norm.weight", vec(b.ffn_norm.weight))
        w.tensor(p + "ffn_gate.weight", mat(b.gate.weight))
        w.tensor(p + "ffn_up.weight", mat(b.up.weight))
        w.tensor(p + "ffn_down.weight", mat(b.down.weight))
    w.tensor("output_norm.weight", vec(model.norm.weight))
    w.write(path)


# ---- main -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--world", required=True, help="folder written by `lore world generate`")
    ap.add_argument("--out", required=True, help="GGUF file to write")
    ap.add_argument("--report", help="JSON report of the run")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--vocab", type=int, default=3072)
    ap.add_argument("--dim", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--ctx", type=int, default=320, help="training sequence length")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=2400)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--max-minutes", type=float, default=50.0,
                    help="stop early (keeping the schedule's end) past this wall time")
    ap.add_argument("--qa-repeat", type=int, default=3,
                    help="closed-book question lines per epoch")
    ap.add_argument("--reading-fraction", type=float, default=0.5,
                    help="share of the open-book reading examples in each epoch")
    ap.add_argument("--checkpoint", help="torch checkpoint written at every evaluation")
    ap.add_argument("--resume", help="continue from a --checkpoint file")
    ap.add_argument("--bench", action="store_true", help="train only (timing runs)")
    args = ap.parse_args()

    t0 = time.time()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.world, "world.json")) as f:
        world = json.load(f)
    with open(os.path.join(args.world, "train.txt"), encoding="utf-8") as f:
        text = f.read()
    if not text.isascii():
        sys.exit("train.py: train.txt is not ASCII; the pre-tokenizer emulation needs ASCII")

    merges = bpe.train_merges(text, args.vocab - 2 - 256)
    tok = bpe.Tokenizer([BOS, EOS], merges)
    docs = text.split("\n\n")
    doc_ids = [tok.encode(d if d.endswith("\n") else d + "\n") for d in docs]
    # The closed-book question lines are what the model is asked; they come qa_repeat times
    # per epoch.
    doc_ids += [ids for d, ids in zip(docs, doc_ids) if d.startswith("Q: ")] * (args.qa_repeat - 1)
    is_reading = [i < len(docs) and docs[i].startswith("[1] ") for i in range(len(doc_ids))]
    n_doc_tokens = sum(len(d) + 1 for d in doc_ids)
    print("tokenizer: %d tokens, %d merges; train.txt: %d docs, %d tokens (with BOS)"
          % (len(tok.tokens), len(merges), len(docs), n_doc_tokens), flush=True)

    cfg = Config(args, len(tok.tokens))
    model = Model(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print("model: %d params" % n_params, flush=True)
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))

    qa = {s: read_jsonl(os.path.join(args.world, "qa", s + ".jsonl"))
          for s in ["known", "known-paraphrase", "unknown", "updated", "multihop", "calibration"]}

    gen = torch.Generator().manual_seed(args.seed)
    stream = epoch_stream(doc_ids, is_reading, args.reading_fraction, tok.ids[BOS], gen)
    pos = 0
    n_epochs = 1
    tokens_seen = 0
    history = []
    loss_ema = None
    step = 0
    first_step = 1
    stopped_early = False
    if args.resume:
        state = torch.load(args.resume)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        gen.set_state(state["gen"])
        stream, pos, n_epochs, tokens_seen = state["stream"], state["pos"], state["epochs"], \
            state["tokens_seen"]
        history, loss_ema, first_step = state["history"], state["loss_ema"], state["step"] + 1
        t0 -= state["minutes"] * 60
    for step in range(first_step, args.steps + 1):
        lr = args.lr * min(1.0, step / args.warmup)
        lr *= 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        rows = []
        for _ in range(args.batch):
            if pos + args.ctx + 1 > len(stream):
                stream = epoch_stream(doc_ids, is_reading, args.reading_fraction, tok.ids[BOS], gen)
                pos = 0
                n_epochs += 1
            rows.append(stream[pos: pos + args.ctx + 1])
            pos += args.ctx
        batch = torch.stack(rows)
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, cfg.n_vocab), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        tokens_seen += args.batch * args.ctx
        loss_ema = loss.item() if loss_ema is None else 0.95 * loss_ema + 0.05 * loss.item()
        elapsed = (time.time() - t0) / 60
        if step % 20 == 0:
            print("step %d epoch %d loss %.4f (ema %.4f) lr %.2e %.1f min"
                  % (step, n_epochs, loss.item(), loss_ema, lr, elapsed), flush=True)
        if step % args.eval_every == 0 or step == args.steps:
            model.eval()
            known_em, _, _ = exact_match(model, tok, qa["known"][:120])
            unknown_em, _, _ = exact_match(model, tok, qa["unknown"][:60])
            model.train()
            history.append({"step": step, "loss_ema": loss_ema, "known_em_sample": known_em,
                            "unknown_em_sample": unknown_em, "minutes": elapsed})
            print("eval step %d: known %.3f unknown %.3f" % (step, known_em, unknown_em),
                  flush=True)
            if args.checkpoint:
                torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                            "gen": gen.get_state(), "stream": stream, "pos": pos,
                            "epochs": n_epochs, "tokens_seen": tokens_seen, "history": history,
                            "loss_ema": loss_ema, "step": step, "minutes": elapsed},
                           args.checkpoint)
        if elapsed > args.max_minutes:
            stopped_early = True
            print("stopping: past %.1f minutes" % args.max_minutes, flush=True)
            break
    train_minutes = (time.time() - t0) / 60
    if args.bench:
        return

    model.eval()
    f16_rounded_(model)
    results = {}
    for split, records in qa.items():
        em, stale, got = exact_match(model, tok, records)
        results[split] = {"n": len(records), "closed_book_em": em, "stale_rate": stale}
        print("closed-book %s: EM %.3f stale %.3f (n=%d)" % (split, em, stale, len(records)),
              flush=True)
    # Open-book with the gold passage of the question's subject and the next record's as a
    # distractor: the reading skill lore's `always` gate relies on.
    for split in ["known", "unknown", "updated"]:
        records = qa[split]
        passages = []
        for i, r in enumerate(records):
            other = records[(i + 1) % len(records)]["subject"]
            pair = [corpus_paragraph(args.world, r["subject"]), corpus_paragraph(args.world, other)]
            passages.append(pair if i % 2 == 0 else pair[::-1])
        em, stale, _ = exact_match(model, tok, records, passages)
        results[split]["open_book_em"] = em
        results[split]["open_book_stale_rate"] = stale
        print("open-book %s: EM %.3f stale %.3f" % (split, em, stale), flush=True)

    meta = {"seed": world["seed"], "cutoff": world["cutoff"], "as_of": world["as_of"]}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_gguf(args.out, model, tok, cfg, meta)
    print("wrote %s (%d bytes)" % (args.out, os.path.getsize(args.out)), flush=True)

    if args.report:
        report = {
            "args": vars(args), "world": world, "n_params": n_params,
            "n_vocab": len(tok.tokens), "n_merges": len(merges),
            "train_tokens_per_epoch": n_doc_tokens, "steps": step, "epochs": n_epochs,
            "tokens_seen": tokens_seen, "final_loss_ema": loss_ema,
            "train_minutes": train_minutes, "total_minutes": (time.time() - t0) / 60,
            "stopped_early": stopped_early, "history": history, "results": results,
            "torch": torch.__version__, "gguf_bytes": os.path.getsize(args.out),
        }
        with open(args.report, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
