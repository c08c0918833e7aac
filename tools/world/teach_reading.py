#!/usr/bin/env python3
"""Trains the world model to read (the recipe of models/world-tiny.gguf; see its card).

train.py's open-book examples are about a fixed set of 300 "reader" people; over 35 epochs a
model memorises their facts instead of learning to copy them from the passages, and reads an
unseen person's passage no better than it guesses (open-book EM 0.04 on `unknown`). Here the
reading examples are about people invented afresh for every example (random names, random
facts drawn from the world's own cities, countries, universities, fields and companies,
rendered exactly as the corpus renders a person), so memorising cannot help and only reading
can. A share of them (--updated-share) state a new employer or home for a person the model
knows, dated after the cut-off, teaching it to prefer the passage over its memory (the
`updated` case; --updated-any-relation asks them about any fact, all of which then differ from
memory). --moves-share takes a known, unchanged person's own passage instead and records a move
after the cut-off in it, the remembered place becoming the earlier stint, as the world writes
the `updated` people (who are left out). --corpus-rows of every batch still come from train.txt, so the closed-book
knowledge is learnt and kept. The loss weighs answer tokens over the unpredictable passage
text, and --reading-share fixes the reading rows' share of it.

It starts from scratch (the tokenizer learnt on train.txt), from a train.py checkpoint
(--resume) or from a GGUF of an earlier stage (--init-gguf): the model card lists the stages,
a curriculum from single passages (--distractors 0) to several. The GGUF is rewritten at every
evaluation, so a run can be stopped at any of them.

    python3 tools/world/teach_reading.py --world DIR --out models/world-tiny.gguf \
        [--init-gguf EARLIER.gguf --merges-from EARLIER.gguf] --report REPORT.json
"""

import argparse
import copy
import json
import math
import os
import random
import re
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import train  # noqa: E402

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
SYLLABLES = ["ba", "bre", "dro", "fe", "ga", "kai", "kro", "lu", "ma", "ne", "pi", "rou", "sa",
             "te", "thi", "vo", "zen", "dri", "mo", "shei", "tra", "vei", "lo", "ku", "rex",
             "zond", "bro", "fa", "dei", "nu", "stro", "pe", "xi", "gou", "ri", "sho"]
QUESTIONS = {
    "born_in": "Where was {} born?", "born_on": "In what year was {} born?",
    "educated_at": "Which university did {} attend?", "field_of_study": "What did {} study?",
    "works_at": "Where does {} work?", "lives_in": "Where does {} live?",
}


def date_text(y, m, d):
    return "%d %s %d" % (d, MONTHS[m - 1], y)


def rand_date(rng, y0, y1):
    return rng.randint(y0, y1), rng.randint(1, 12), rng.randint(1, 28)


def rand_name(rng):
    def word():
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    return word() + " " + word()


class Vocab:
    """The world's entities, from triples.tsv."""

    def __init__(self, world_dir):
        self.country_of, self.cities, self.universities, self.fields, self.companies = {}, set(), set(), set(), set()
        with open(os.path.join(world_dir, "triples.tsv"), encoding="utf-8") as f:
            next(f)
            for line in f:
                s, r, o = line.rstrip("\n").split("\t")[:3]
                if r == "located_in":
                    self.country_of[s] = o
                elif r in ("born_in", "lives_in"):
                    self.cities.add(o)
                elif r == "educated_at":
                    self.universities.add(o)
                elif r == "field_of_study":
                    self.fields.add(o)
                elif r == "works_at":
                    self.companies.add(o)
        self.cities = sorted(c for c in self.cities if c in self.country_of)
        self.universities, self.fields, self.companies = (
            sorted(self.universities), sorted(self.fields), sorted(self.companies))


def person(rng, v, name, cutoff_year, moved_after_cutoff=False):
    """A person's paragraph as the corpus renders it, and the answers per relation."""
    born = rand_date(rng, 1955, 1995)
    city = rng.choice(v.cities)
    uni, field = rng.choice(v.universities), rng.choice(v.fields)
    text = "%s was born on %s in %s, %s. %s studied %s at %s." % (
        name, date_text(*born), city, v.country_of[city], name, field, uni)
    answers = {"born_in": city, "born_on": str(born[0]), "educated_at": uni,
               "field_of_study": field}
    for rel, verb_now, verb_then, pool in (("works_at", "has worked at", "worked at", v.companies),
                                           ("lives_in", "has lived in", "lived in", v.cities)):
        n_stints = 2 if (moved_after_cutoff or rng.random() < 0.3) else 1
        places = rng.sample(pool, n_stints)
        if n_stints == 2:
            y_new = cutoff_year + 1 if moved_after_cutoff else rng.randint(born[0] + 22, cutoff_year)
            new = (y_new, rng.randint(1, 12), rng.randint(2, 28))
            old = rand_date(rng, born[0] + 20, new[0] - 1)
            text += " %s %s %s since %s. Before that, %s %s %s from %s to %s." % (
                name, verb_now, places[1], date_text(*new), name, verb_then, places[0],
                date_text(*old), date_text(new[0], new[1], new[2] - 1))
        else:
            since = rand_date(rng, born[0] + 20, cutoff_year)
            text += " %s %s %s since %s." % (name, verb_now, places[-1], date_text(*since))
        answers[rel] = places[-1]
    return text, answers


STINTS = {"works_at": ("has worked at", "worked at"), "lives_in": ("has lived in", "lived in")}


def moved_paragraph(rng, v, name, paragraph, answers, cutoff_year):
    """A known person's own paragraph after a move past the cut-off, as the world renders an
    update: the remembered place becomes the "Before that" stint and a new one is current.
    Returns (paragraph, relation, new place)."""
    rel = rng.choice(sorted(STINTS))
    verb_now, verb_then = STINTS[rel]
    old = answers[rel]
    current = re.search(r"%s %s %s since (\d+) (\w+) (\d+)\." % (
        re.escape(name), verb_now, re.escape(old)), paragraph)
    older = re.compile(r" Before that, %s %s [^.]* from [^.]* to [^.]*\." % (
        re.escape(name), verb_then))
    pool = v.companies if rel == "works_at" else v.cities
    new = rng.choice([p for p in pool if p != old])
    # After the cut-off (30 June) and before the world's as-of date a year later.
    after = rng.randint(0, 11)
    new_date = (cutoff_year + (after + 6) // 12, (after + 6) % 12 + 1, rng.randint(2, 28))
    text = "%s %s %s since %s. Before that, %s %s %s from %s %s %s to %s." % (
        name, verb_now, new, date_text(*new_date), name, verb_then, old, current.group(1),
        current.group(2), current.group(3), date_text(new_date[0], new_date[1], new_date[2] - 1))
    head, tail = paragraph[:current.start()], older.sub("", paragraph[current.end():], count=1)
    return head + text + tail, rel, new


def reading_example(rng, v, known_names, cutoff_year, max_distractors=2, updated_share=0.25,
                    known_share=0.0, known_paragraphs=None, any_relation=False, moves_share=0.0):
    """(prompt, answer): an open-book prompt and the answer text that follows it."""
    draw = rng.random()
    if known_paragraphs and draw >= 1 - moves_share:
        # A known, unchanged person who moves after the cut-off: what the model remembers is
        # in the passage too, as the earlier stint, and the current one must win.
        name = rng.choice(sorted(known_paragraphs))
        paragraph, answers = known_paragraphs[name]
        target, rel, new = moved_paragraph(rng, v, name, paragraph, answers, cutoff_year)
        answers = dict(answers, **{rel: new})
    elif known_paragraphs and draw >= 1 - moves_share - known_share:
        # A person the model knows, unchanged: its passage as the knowledge base holds it agrees
        # with what the model remembers, and the model must read the right sentence of it.
        name = rng.choice(sorted(known_paragraphs))
        target, answers = known_paragraphs[name]
        rel = rng.choice(list(QUESTIONS))
    elif known_names and draw < updated_share:
        # A person the model knows, moved after the cut-off: the passage must win. With
        # any_relation, every fact of the passage differs from memory and any may be asked.
        name = rng.choice(known_names)
        target, answers = person(rng, v, name, cutoff_year, moved_after_cutoff=True)
        rel = rng.choice(list(QUESTIONS) if any_relation else ["works_at", "lives_in"])
    else:
        name = rand_name(rng)
        target, answers = person(rng, v, name, cutoff_year)
        rel = rng.choice(list(QUESTIONS))
    passages = [target] + [person(rng, v, rand_name(rng), cutoff_year)[0]
                           for _ in range(rng.randint(0, max_distractors))]
    rng.shuffle(passages)
    return train.open_book_prompt(passages, QUESTIONS[rel].format(name)), " " + answers[rel] + "\n"


def gguf_merges(path):
    """tokenizer.ggml.merges of a GGUF file: the first stage's tokenizer, without retraining it."""
    import struct
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    with open(path, "rb") as f:
        data = f.read()
    pos = 4 + 4 + 8
    (n_kv,) = struct.unpack_from("<Q", data, pos)
    pos += 8

    def read_string(p):
        (n,) = struct.unpack_from("<Q", data, p)
        return data[p + 8: p + 8 + n].decode("utf-8"), p + 8 + n

    def skip_value(t, p):
        if t == 8:
            return read_string(p)[1]
        if t == 9:
            et, n = struct.unpack_from("<IQ", data, p)
            p += 12
            for _ in range(n):
                p = skip_value(et, p)
            return p
        return p + sizes[t]

    for _ in range(n_kv):
        key, pos = read_string(pos)
        (t,) = struct.unpack_from("<I", data, pos)
        pos += 4
        if key == "tokenizer.ggml.merges":
            et, n = struct.unpack_from("<IQ", data, pos)
            pos += 12
            out = []
            for _ in range(n):
                s, pos = read_string(pos)
                out.append(tuple(s.split(" ", 1)))
            return out
        pos = skip_value(t, pos)
    raise SystemExit("teach_reading.py: no tokenizer.ggml.merges in " + path)


def load_gguf_weights(model, path):
    """The inverse of train.write_gguf: every tensor back into its parameter."""
    from gguf_writer import read_gguf
    _, tensors = read_gguf(path)

    def put(param, name):
        with torch.no_grad():
            param.copy_(torch.from_numpy(tensors[name].astype("float32")))

    put(model.embed.weight, "token_embd.weight")
    for i, b in enumerate(model.blocks):
        p = "blk.%d." % i
        for param, name in [(b.attn_norm.weight, "attn_norm"), (b.wq.weight, "attn_q"),
                            (b.wk.weight, "attn_k"), (b.wv.weight, "attn_v"),
                            (b.wo.weight, "attn_output"), (b.ffn_norm.weight, "ffn_norm"),
                            (b.gate.weight, "ffn_gate"), (b.up.weight, "ffn_up"),
                            (b.down.weight, "ffn_down")]:
            put(param, p + name + ".weight")
    put(model.norm.weight, "output_norm.weight")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--world", required=True)
    ap.add_argument("--resume", help="train.py's --checkpoint file; without it the model is "
                    "trained from scratch, reading from the first step")
    ap.add_argument("--out", required=True)
    ap.add_argument("--report")
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--lr", type=float, help="peak learning rate (default 2e-3 when resuming, "
                    "3e-3 from scratch)")
    ap.add_argument("--warmup", type=int, help="linear warm-up steps (default 0 when resuming, 50 "
                    "from scratch)")
    ap.add_argument("--corpus-rows", type=int, help="rows of each batch taken from train.txt, the "
                    "rest being fresh reading examples (default batch/4 when resuming, batch/2 "
                    "from scratch)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--ctx", type=int, default=320)
    ap.add_argument("--vocab", type=int, default=3072)
    ap.add_argument("--dim", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--init-gguf", help="start from the weights of this GGUF (one written by "
                    "train.py or this script, same shape) instead of --resume or from scratch")
    ap.add_argument("--distractors", type=int, default=2, help="at most this many other "
                    "people's passages around the one that answers (0: a single passage, an "
                    "easier start)")
    ap.add_argument("--passages", type=int, default=1, help="passages the model is advised to "
                    "read (GGUF lore.prompt.passages; lore ask/eval use it when -k is not given)")
    ap.add_argument("--updated-share", type=float, default=0.25, help="share of the reading "
                    "examples about a known person who moved after the cut-off")
    ap.add_argument("--known-share", type=float, default=0.0, help="share of the reading "
                    "examples about a known, unchanged person, with the passage the knowledge "
                    "base holds for them (people of the updated split are left out)")
    ap.add_argument("--updated-any-relation", action="store_true", help="ask the moved known "
                    "person's examples about any relation, not only where they work and live "
                    "(their passage differs from memory in every fact)")
    ap.add_argument("--moves-share", type=float, default=0.0, help="share of the reading "
                    "examples about a known, unchanged person whose own passage records a move "
                    "after the cut-off (the remembered place as the earlier stint)")
    ap.add_argument("--snapshots", action="store_true", help="also keep each evaluation's GGUF "
                    "as OUT with -stepN before its extension, to choose one afterwards")
    ap.add_argument("--reading-share", type=float, help="share of the loss that the reading "
                    "rows carry (default: their token weights decide, about a tenth)")
    ap.add_argument("--merges-from", help="take the BPE merges from this GGUF (the first stage's "
                    "model) instead of relearning them from train.txt (same result, minutes faster)")
    args = ap.parse_args()
    scratch = args.resume is None and args.init_gguf is None
    if args.lr is None:
        args.lr = 3e-3 if scratch else 2e-3
    if args.warmup is None:
        args.warmup = 50 if scratch else 0
    if args.corpus_rows is None:
        args.corpus_rows = args.batch // 2 if scratch else args.batch // 4
    t0 = time.time()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    with open(os.path.join(args.world, "world.json")) as f:
        world = json.load(f)
    with open(os.path.join(args.world, "train.txt"), encoding="utf-8") as f:
        text = f.read()
    if args.merges_from:
        merges = gguf_merges(args.merges_from)
    else:
        merges = bpe.train_merges(text, args.vocab - 2 - 256)
    tok = bpe.Tokenizer([train.BOS, train.EOS], merges)
    docs = text.split("\n\n")
    doc_ids = [tok.encode(d if d.endswith("\n") else d + "\n") for d in docs]
    is_reading = [d.startswith("[1] ") for d in docs]
    bos = tok.ids[train.BOS]

    cfg = train.Config(args, len(tok.tokens))
    model = train.Model(cfg)
    if args.resume:
        state = torch.load(args.resume)
        model.load_state_dict(state["model"])
    elif args.init_gguf:
        load_gguf_weights(model, args.init_gguf)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.01)

    v = Vocab(args.world)
    qa = {s: train.read_jsonl(os.path.join(args.world, "qa", s + ".jsonl"))
          for s in ["known", "known-paraphrase", "unknown", "updated", "multihop", "calibration"]}
    known_names = sorted({r["subject"] for r in qa["known"]})
    cutoff_year = int(world["cutoff"][:4])
    known_paragraphs = {}
    if args.known_share > 0 or args.moves_share > 0:
        people = {r["subject"] for split in ("known", "known-paraphrase") for r in qa[split]}
        moved = {r["subject"] for split in qa.values() for r in split if r.get("updated")}
        facts = {}
        with open(os.path.join(args.world, "triples.tsv"), encoding="utf-8") as f:
            next(f)
            for line in f:
                subject, relation, obj, _, valid_to = line.rstrip("\n").split("\t")
                if subject in people and relation in QUESTIONS and not valid_to:
                    facts.setdefault(subject, {})[relation] = (
                        obj[:4] if relation == "born_on" else obj)
        for name in sorted(people - moved):
            known_paragraphs[name] = (train.corpus_paragraph(args.world, name), facts[name])
        print("%d known, unchanged people for reading examples" % len(known_paragraphs))

    def open_book_em(split, n):
        records = qa[split][:n]
        passages = []
        for i, r in enumerate(records):
            other = records[(i + 1) % len(records)]["subject"]
            pair = [train.corpus_paragraph(args.world, r["subject"]),
                    train.corpus_paragraph(args.world, other)]
            passages.append(pair if i % 2 == 0 else pair[::-1])
        return train.exact_match(model, tok, records, passages)

    gen = torch.Generator().manual_seed(args.seed)
    base = train.epoch_stream(doc_ids, is_reading, 0.5, bos, gen)
    base_pos = 0
    history = []
    loss_ema = None
    for step in range(1, args.steps + 1):
        lr = args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        if step <= args.warmup:
            lr = args.lr * step / args.warmup
        for g in opt.param_groups:
            g["lr"] = lr
        rows = []
        weights = []  # per target token: the answer counts fully, the rest of a reading row barely
        for b in range(args.batch):
            if b < args.corpus_rows:  # train.txt, as in the first stage
                if base_pos + args.ctx + 1 > len(base):
                    base = train.epoch_stream(doc_ids, is_reading, 0.5, bos, gen)
                    base_pos = 0
                rows.append(base[base_pos: base_pos + args.ctx + 1])
                weights.append(torch.ones(args.ctx))
                base_pos += args.ctx
            else:  # fresh reading examples, packed
                # Passages are random text no model can predict; what must be learnt is the copy
                # into the answer, so the loss weighs answer tokens 20 times more.
                ids, w = [], []
                while len(ids) < args.ctx + 1:
                    prompt, answer = reading_example(rng, v, known_names, cutoff_year,
                                                     args.distractors, args.updated_share,
                                                     args.known_share, known_paragraphs,
                                                     args.updated_any_relation,
                                                     args.moves_share)
                    p_ids, a_ids = [bos] + tok.encode(prompt), tok.encode(answer)
                    ids += p_ids + a_ids
                    w += [0.05] * len(p_ids) + [1.0] * len(a_ids)
                rows.append(torch.tensor(ids[: args.ctx + 1], dtype=torch.long))
                weights.append(torch.tensor(w[1: args.ctx + 1]))
        batch = torch.stack(rows)
        logits = model(batch[:, :-1])
        per_token = F.cross_entropy(logits.reshape(-1, cfg.n_vocab), batch[:, 1:].reshape(-1),
                                    reduction="none")
        w = torch.stack(weights)
        if args.reading_share is not None:
            corpus_w = w[: args.corpus_rows].sum()
            reading_w = w[args.corpus_rows:].sum()
            scale = args.reading_share / (1 - args.reading_share) * corpus_w / reading_w
            w = torch.cat([w[: args.corpus_rows], w[args.corpus_rows:] * scale])
        w = w.reshape(-1)
        loss = (per_token * w).sum() / w.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss_ema = loss.item() if loss_ema is None else 0.95 * loss_ema + 0.05 * loss.item()
        if step % 20 == 0:
            print("step %d loss %.4f (ema %.4f) lr %.2e %.1f min"
                  % (step, loss.item(), loss_ema, lr, (time.time() - t0) / 60), flush=True)
        if step % args.eval_every == 0 or step == args.steps:
            model.eval()
            known_em, _, _ = train.exact_match(model, tok, qa["known"][:60])
            unknown_open, _, _ = open_book_em("unknown", 60)
            updated_open, _, _ = open_book_em("updated", 40)
            model.train()
            history.append({"step": step, "loss_ema": loss_ema, "known_closed_em": known_em,
                            "unknown_open_em": unknown_open, "updated_open_em": updated_open,
                            "minutes": (time.time() - t0) / 60})
            print("eval step %d: known closed %.3f, unknown open %.3f, updated open %.3f"
                  % (step, known_em, unknown_open, updated_open), flush=True)
            # Keep a usable model at every evaluation, so a run can be stopped at any time.
            snapshot = copy.deepcopy(model)
            train.f16_rounded_(snapshot)
            meta = {"seed": world["seed"], "cutoff": world["cutoff"], "as_of": world["as_of"],
                    "passages": args.passages}
            train.write_gguf(args.out, snapshot, tok, cfg, meta)
            if args.snapshots:
                stem, ext = os.path.splitext(args.out)
                train.write_gguf("%s-step%d%s" % (stem, step, ext), snapshot, tok, cfg, meta)
    minutes = (time.time() - t0) / 60

    model.eval()
    train.f16_rounded_(model)
    results = {}
    for split, records in qa.items():
        em, stale, _ = train.exact_match(model, tok, records)
        results[split] = {"n": len(records), "closed_book_em": em, "stale_rate": stale}
        print("closed-book %s: EM %.3f stale %.3f" % (split, em, stale), flush=True)
    for split in ["known", "unknown", "updated"]:
        em, stale, _ = open_book_em(split, len(qa[split]))
        results[split]["open_book_em"] = em
        results[split]["open_book_stale_rate"] = stale
        print("open-book %s: EM %.3f stale %.3f" % (split, em, stale), flush=True)
    meta = {"seed": world["seed"], "cutoff": world["cutoff"], "as_of": world["as_of"],
            "passages": args.passages}
    train.write_gguf(args.out, model, tok, cfg, meta)
    print("wrote %s (%d bytes)" % (args.out, os.path.getsize(args.out)), flush=True)
    if args.report:
        with open(args.report, "w") as f:
            json.dump({"args": vars(args), "steps": args.steps, "minutes": minutes,
                       "final_loss_ema": loss_ema, "history": history, "results": results}, f,
                      indent=1)


if __name__ == "__main__":
    main()
