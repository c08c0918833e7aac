#!/usr/bin/env bash
# Alternates lore's HnswIndex and hnswlib alone on the graph lore_bench_dense saved, three
# rounds each, so machine load hits both alike. Run lore_bench_dense once first.
#   usage: bench/retrieve/compare_hnsw.sh BUILD_DIR
set -euo pipefail
BUILD=${1:?usage: compare_hnsw.sh BUILD_DIR}
for round in 1 2 3; do
    echo "== round $round: lore"
    "$BUILD/bench/retrieve/lore_bench_dense" --sweep-only
    echo "== round $round: hnswlib alone"
    "$BUILD/bench/retrieve/lore_bench_hnswlib" --sweep-only
done
