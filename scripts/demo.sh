#!/usr/bin/env bash
# lore's main job on its embedded defaults: build the synthetic world's knowledge base, fit
# the gates on its calibration questions, and evaluate every gate with the bundled model
# (models/world-tiny.gguf) on questions it knows, does not know, and knows wrongly because
# the world changed after its training cut-off. Prints the table; writes the report
# (report.md, report.json, accuracy_vs_retrieval.svg/.png) to build/demo/report.
#
# DEMO_LIMIT=N caps the questions per split (default 100; 0 = all).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
BUILD_TARGET=lore_cli ./scripts/build.sh
LORE=./build/release/lore
OUT=build/demo
MODEL=models/world-tiny.gguf
LIMIT=${DEMO_LIMIT:-100}
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== the synthetic world (seed 1) and its knowledge base"
"$LORE" world generate --seed 1 --out "$OUT/world"
"$LORE" ingest --kb "$OUT/kb" "$OUT/world/corpus"

echo "== calibrating the gates on the world's calibration questions"
"$LORE" calibrate -m "$MODEL" --kb "$OUT/kb" --data "$OUT/world/qa/calibration.jsonl" \
    --out "$OUT/calibration.json"

echo "== evaluating every gate (known, unknown, updated; $LIMIT per split)"
"$LORE" eval -m "$MODEL" --kb "$OUT/kb" --calibration "$OUT/calibration.json" \
    --data "$OUT/world/qa/known.jsonl" --data "$OUT/world/qa/unknown.jsonl" \
    --data "$OUT/world/qa/updated.jsonl" --limit "$LIMIT" --sweep --out "$OUT/report"
