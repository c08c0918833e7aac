#!/usr/bin/env bash
# Builds the KB benchmark corpus: one JSONL passage per paragraph of this machine's English man
# pages (/usr/share/man/man[1-8]/*.gz), roff markup stripped, long paragraphs split at about
# 120 words, short ones (< 8 words) dropped. Fields: id ("P.N": page number P in sorted order,
# paragraph N), text; with WITH_PAGE=1 also page (the man page's file name) as metadata.
#   usage: [WITH_PAGE=1] bench/store/make_corpus.sh [OUT.jsonl]
#   (default output: /tmp/lore_man_corpus.jsonl)
# Reads the gzip files directly (python3's gzip module), which is much faster than `man -P cat`.
set -euo pipefail
OUT=${1:-/tmp/lore_man_corpus.jsonl}
python3 - "$OUT" "${WITH_PAGE:-0}" <<'PY'
import glob, gzip, json, re, sys

out_path = sys.argv[1]
with_page = sys.argv[2] == "1"
FONT = re.compile(r"\\f(\(..|\[[^\]]*\]|.)")
SIZE = re.compile(r"\\s[-+]?\d+")
STRING = re.compile(r"\\\*(\(..|\[[^\]]*\]|.)")
SPECIAL = {r"\(em": "—", r"\(en": "–", r"\(bu": "•", r"\(lq": '"', r"\(rq": '"',
           r"\(aq": "'", r"\(cq": "'", r"\(oq": "'", r"\(co": "©", r"\(mu": "×"}
BREAKS = {"PP", "P", "LP", "TP", "IP", "HP", "sp", "br", "SH", "SS", "RS", "RE", "EX", "EE",
          "nf", "fi", "TH", "Bl", "El", "It", "Sh", "Ss", "Pp", "Dd", "Dt", "Os", "Nm"}
FONT_MACROS = {"B", "I", "BR", "RB", "IR", "RI", "BI", "IB", "SM", "SB", "Nd", "Ar", "Fl", "Cm"}

def inline(text):
    for key, value in SPECIAL.items():
        text = text.replace(key, value)
    text = FONT.sub("", text)
    text = SIZE.sub("", text)
    text = STRING.sub("", text)
    text = text.replace(r"\-", "-").replace(r"\&", "").replace(r"\e", "\\").replace(r"\ ", " ")
    text = re.sub(r"\\(\(..|\[[^\]]*\]|.)", "", text)
    return text

def macro_args(line):
    parts = re.findall(r'"[^"]*"|\S+', line)
    return " ".join(p.strip('"') for p in parts)

n_out = 0
with open(out_path, "w", encoding="utf-8") as out:
    for page_idx, path in enumerate(sorted(glob.glob("/usr/share/man/man[1-8]/*.gz"))):
        try:
            raw = gzip.open(path).read().decode("utf-8", errors="replace")
        except Exception:
            continue
        page = path.rsplit("/", 1)[1][:-3]
        paragraphs, current = [], []
        for line in raw.splitlines():
            if line.startswith((".", "'")):
                name = line[1:].split(" ", 1)[0].strip()
                rest = line[1 + len(name):].strip()
                if name in BREAKS:
                    if current:
                        paragraphs.append(" ".join(current))
                        current = []
                    if name in ("SH", "SS", "Sh", "Ss") and rest:
                        current.append(inline(macro_args(rest)).capitalize() + ".")
                        paragraphs.append(" ".join(current))
                        current = []
                elif name in FONT_MACROS and rest:
                    current.append(inline(macro_args(rest)))
                continue
            text = inline(line).strip()
            if text:
                current.append(text)
            elif current:
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
        n_in_page = 0
        for paragraph in paragraphs:
            words = paragraph.split()
            for start in range(0, len(words), 120):
                piece = words[start:start + 120]
                if len(piece) < 8:
                    continue
                n_in_page += 1
                record = {"id": f"{page_idx}.{n_in_page}", "text": " ".join(piece)}
                if with_page:
                    record["page"] = page
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                n_out += 1
print(f"make_corpus: {n_out} passages -> {out_path}", file=sys.stderr)
PY
