#!/usr/bin/env bash
# Configures and builds lore in build/release (Release, warnings as errors when LORE_WERROR=ON).
# BUILD_TARGET=lore_cli builds only the `lore` binary.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build/release}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DLORE_WERROR="${LORE_WERROR:-OFF}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j2 ${BUILD_TARGET:+--target "$BUILD_TARGET"}
