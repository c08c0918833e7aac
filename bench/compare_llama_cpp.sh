#!/usr/bin/env bash
# Speed of lore against llama.cpp on the same GGUF files, threads and tests, interleaved so
# that both see the same machine load. For every file, thread count and test (pp512, tg128)
# it runs `lore bench` and `llama-bench` alternately ROUNDS times (one repetition each per
# round) and prints the medians and the ratio lore / llama.cpp.
#
#   LLAMA_BENCH=/path/to/llama-bench bench/compare_llama_cpp.sh [MODEL.gguf ...]
#
# With no files, random-weight models of real shapes are written to $MODELS_DIR (default
# build/bench-models) by tools/make_tiny_model: SmolLM2-135M, Qwen2.5-0.5B and
# Llama-3.2-1B in F16, Q8_0, Q4_0 and Q4_K_M. llama.cpp is never built or vendored here:
# build it elsewhere and point LLAMA_BENCH at its llama-bench.
#
# ROUNDS (3), THREADS ("1 2") and TESTS ("pp512 tg128") choose the runs; LORE_ARGS and
# LLAMA_ARGS add flags to either side, e.g. LORE_ARGS=--no-mmap LLAMA_ARGS="-mmp 0", or
# LORE_ARGS="-d 2048" LLAMA_ARGS="-d 2048" for the tests after 2048 cached tokens. Both
# keep the KV cache in f16 by default (lore: --f32-cache; llama-bench: -ctk f32 -ctv f32).
# For a CPU without AVX-512, run with LORE_ISA=avx2 in the environment (lore's AVX2 kernels)
# against a llama.cpp built with -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=OFF, and with
# LORE_ISA=avxvnni against the same build with -DGGML_AVX_VNNI=ON added (Intel since Alder
# Lake: AVX2 with AVX-VNNI, no AVX-512).
set -euo pipefail
cd "$(dirname "$0")/.."

: "${LLAMA_BENCH:?set LLAMA_BENCH to a llama-bench binary built outside this repository}"
LORE=${LORE:-build/release/lore}
MAKE_MODEL=${MAKE_MODEL:-build/release/tools/make_tiny_model}
MODELS_DIR=${MODELS_DIR:-build/bench-models}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-"1 2"}
TESTS=${TESTS:-"pp512 tg128"}
read -r -a lore_args <<<"${LORE_ARGS:-}"
read -r -a llama_args <<<"${LLAMA_ARGS:-}"

files=("$@")
if ((${#files[@]} == 0)); then
    mkdir -p "$MODELS_DIR"
    for shape in smollm2-135m qwen2.5-0.5b llama-3.2-1b; do
        for type in f16 q8_0 q4_0 q4_k_m; do
            f="$MODELS_DIR/$shape-$type.gguf"
            [[ -f "$f" ]] || "$MAKE_MODEL" --shape "$shape" --type "$type" --out "$f" >/dev/null
            files+=("$f")
        done
    done
fi

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# One timed repetition of one test; prints tokens per second.
lore_once() {  # file threads test
    local p=0 n=0
    [[ $3 == pp* ]] && p=${3#pp} || n=${3#tg}
    "$LORE" bench -m "$1" -t "$2" -p "$p" -n "$n" -r 1 "${lore_args[@]}" | awk -F'|' 'NR>2 {split($8, a, " "); print a[1]}'
}
llama_once() {  # file threads test
    local p=0 n=0
    [[ $3 == pp* ]] && p=${3#pp} || n=${3#tg}
    "$LLAMA_BENCH" -m "$1" -t "$2" -p "$p" -n "$n" -r 1 "${llama_args[@]}" -o csv 2>/dev/null |
        python3 -c 'import csv,sys; r=list(csv.DictReader(sys.stdin)); print(r[-1]["avg_ts"])'
}

printf '| %-28s | %7s | %6s | %10s | %10s | %6s |\n' file threads test lore llama.cpp ratio
printf '| %s | %s: | %s | %s: | %s: | %s: |\n' "$(printf -- '-%.0s' {1..28})" ------ ------ \
    --------- --------- -----
for f in "${files[@]}"; do
    for t in $THREADS; do
        for test in $TESTS; do
            lore_rates=()
            llama_rates=()
            for ((round = 0; round < ROUNDS; ++round)); do
                lore_rates+=("$(lore_once "$f" "$t" "$test")")
                llama_rates+=("$(llama_once "$f" "$t" "$test")")
            done
            lm=$(printf '%s\n' "${lore_rates[@]}" | median)
            cm=$(printf '%s\n' "${llama_rates[@]}" | median)
            ratio=$(awk -v a="$lm" -v b="$cm" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
            printf '| %-28s | %7s | %6s | %10.2f | %10.2f | %6s |\n' "$(basename "$f")" "$t" \
                "$test" "$lm" "$cm" "$ratio"
        done
    done
done
