#!/usr/bin/env bash
# lore's main job on its embedded defaults. Until the synthetic world's bundled model lands,
# this builds lore and prints its version.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
./build/release/lore --version
