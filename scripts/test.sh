#!/usr/bin/env bash
# The whole test run, as CI runs it (.ci/run calls this script):
#   1. set-up (Debian packages), 2. format check, 3. release build with warnings as errors
#   and every ctest suite, and the model tests again on the AVX2 and AVX-VNNI kernel sets,
#   4. the unit tests again under ASan+UBSan, 5. each fuzzer for a short bounded run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

echo "== format check"
mapfile -t sources < <(git ls-files '*.h' '*.cpp' | grep -v '^tests/testdata/')
if ((${#sources[@]} > 0)); then
    clang-format --dry-run -Werror "${sources[@]}"
fi

echo "== release build (-Werror) and tests"
# Benchmarks are built and run by hand (bench/), not in CI: it keeps the run inside 20 minutes.
LORE_WERROR=ON BUILD_DIR=build/release ./scripts/build.sh -DLORE_BUILD_BENCH=OFF
ctest --test-dir build/release -L "unit|integration" --output-on-failure -j2

echo "== model tests on the AVX2 and AVX-VNNI kernel sets"
# The kernel tests compare every set the CPU runs with the reference; this runs the engine
# end to end on the 256-bit sets too (packed layouts, panels, thread counts), as a CPU without
# AVX-512 would (LORE_ISA caps the set; a CPU without it runs the best set below).
LORE_ISA=avx2 build/release/tests/model/lore_model_tests --gtest_brief=1
LORE_ISA=avxvnni build/release/tests/model/lore_model_tests --gtest_brief=1

echo "== unit tests under ASan+UBSan"
# RelWithDebInfo's optimisation without its debug info (a faster build; reports name the
# functions — rebuild with -g locally for line numbers).
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -DNDEBUG" \
    -DLORE_WERROR=ON -DLORE_BUILD_BENCH=OFF "-DLORE_SANITIZE=address;undefined" >/dev/null
cmake --build build/asan -j2
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build/asan -L unit --output-on-failure -j2

echo "== fuzzers (bounded)"
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DLORE_BUILD_TESTS=OFF -DLORE_BUILD_BENCH=OFF -DLORE_BUILD_FUZZERS=ON >/dev/null
# Only the fuzzers (and the libraries they reach): the CLI and tools are covered above.
mapfile -t fuzz_targets < <(ninja -C build/fuzz -t targets all | grep -o '^lore_fuzz_[a-z_]*' | sort -u)
cmake --build build/fuzz -j2 --target "${fuzz_targets[@]}"
for fuzzer in build/fuzz/tests/fuzz/lore_fuzz_*; do
    [[ -x "$fuzzer" ]] || continue
    name=$(basename "$fuzzer")
    corpus="tests/fuzz/corpus/${name#lore_fuzz_}"
    mkdir -p "build/fuzz/corpus-$name"
    echo "-- $name"
    "$fuzzer" -max_total_time="${LORE_FUZZ_SECONDS:-20}" -rss_limit_mb=2048 \
        "build/fuzz/corpus-$name" $([[ -d "$corpus" ]] && echo "$corpus") 2>&1 | tail -n 3
done
echo "== all tests passed"
