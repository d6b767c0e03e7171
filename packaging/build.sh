#!/usr/bin/env bash
# Configures (once) and builds MTL Workbench. Usage: packaging/build.sh [BUILD_TYPE] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

build_type=${1:-Release}
build_dir=${2:-build}
generator=()
if command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="$build_type"
fi
cmake --build "$build_dir" --parallel "$(nproc)"
