#!/usr/bin/env bash
# Share of the memory bandwidth that generation reaches (issue 3's "85 % of the bound"):
# bytes of weights read per token x tokens/s, divided by lore_bench_bandwidth's best read
# figure (any load width and stream count) at the same thread count. The probe and
# `lore bench` run alternately ROUNDS times, so both see the same machine state (on a shared
# host the probe alone swings by 2x between minutes); each round gives one share and the
# medians are printed. On a host whose bandwidth changes from second to second (this one
# switches between about 50 and 80 GB/s at 2 threads), a round can pair a probe of one mode
# with a generation of the other; "peak share" divides the fastest generation by the
# fastest probe of all rounds instead, each taken in the host's fast mode.
#
#   bench/bandwidth_share.sh MODEL.gguf ...
#
# Bytes per token are the sizes of all 2-D weight tensors in the file (from `lore inspect`),
# except an untied token_embd, of which one row is read per token.
# LORE (build/release/lore), PROBE (build/release/bench/lore_bench_bandwidth), ROUNDS (5),
# THREADS ("1 2") and N_GEN (128) choose the runs; LORE_ARGS adds flags to lore bench;
# SHOW_ROUNDS=1 prints every round's probe, tokens/s and share on stderr (the host's mode
# can change between rounds).
set -euo pipefail
cd "$(dirname "$0")/.."

LORE=${LORE:-build/release/lore}
PROBE=${PROBE:-build/release/bench/lore_bench_bandwidth}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-"1 2"}
N_GEN=${N_GEN:-128}
read -r -a lore_args <<<"${LORE_ARGS:-}"
if (($# == 0)); then
    echo "usage: $0 MODEL.gguf ..." >&2
    exit 2
fi
max_threads=0
for t in $THREADS; do
    ((t > max_threads)) && max_threads=$t
done

# Bytes of weights one generated token reads.
bytes_per_token() {
    "$LORE" inspect "$1" | awk '
        $3 ~ /^\[[0-9]+,/ { size[$1] = $NF; total += $NF }
        END {
            if (("output.weight" in size) && ("token_embd.weight" in size)) {
                total -= size["token_embd.weight"]
            }
            printf "%.0f\n", total
        }'
}

# Best read GB/s of the probe at each thread count (any load width, any stream count), as
# "threads gbps" lines.
probe() {
    "$PROBE" --mib 1024 --reps 3 --threads "$max_threads" | awk '
        $1 ~ /^[0-9]+$/ { for (i = 2; i <= NF; ++i) if ($i > best[$1]) best[$1] = $i }
        END { for (t in best) print t, best[t] }'
}

# Tokens/s of one tg run.
generation() {
    "$LORE" bench -m "$1" -t "$2" -p 0 -n "$N_GEN" -r 1 "${lore_args[@]}" |
        awk -F'|' '/tg[0-9]/ { split($8, v, " "); print v[1] }'
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

printf '| %-28s | %7s | %10s | %9s | %10s | %10s | %6s | %10s |\n' \
    file threads "GB/token" "tokens/s" "read GB/s" "probe GB/s" share "peak share"
printf '| %-28s | %7s | %10s | %9s | %10s | %10s | %6s | %10s |\n' \
    "----------------------------" "------:" "---------:" "--------:" "---------:" "---------:" \
    "-----:" "---------:"
for file in "$@"; do
    bytes=$(bytes_per_token "$file")
    for t in $THREADS; do
        speeds=()
        probes=()
        shares=()
        for ((round = 0; round < ROUNDS; ++round)); do
            p=$(probe | awk -v t="$t" '$1 == t { print $2 }')
            s=$(generation "$file" "$t")
            speeds+=("$s")
            probes+=("$p")
            shares+=("$(awk -v s="$s" -v b="$bytes" -v p="$p" 'BEGIN { print s * b / 1e9 / p }')")
            if [[ -n ${SHOW_ROUNDS:-} ]]; then
                echo "round $round: $t threads, probe $p GB/s, $s tokens/s, share ${shares[-1]}" >&2
            fi
        done
        speed=$(printf '%s\n' "${speeds[@]}" | median)
        peak=$(awk -v b="$bytes" -v s="$(printf '%s\n' "${speeds[@]}" | sort -g | tail -1)" \
            -v p="$(printf '%s\n' "${probes[@]}" | sort -g | tail -1)" \
            'BEGIN { print 100 * s * b / 1e9 / p }')
        printf '| %-28s | %7s | %10.3f | %9.1f | %10.1f | %10.1f | %5.0f%% | %9.0f%% |\n' \
            "$(basename "$file")" "$t" "$(awk -v b="$bytes" 'BEGIN { print b / 1e9 }')" "$speed" \
            "$(awk -v s="$speed" -v b="$bytes" 'BEGIN { print s * b / 1e9 }')" \
            "$(printf '%s\n' "${probes[@]}" | median)" \
            "$(printf '%s\n' "${shares[@]}" | median | awk '{ print 100 * $1 }')" "$peak"
    done
done
