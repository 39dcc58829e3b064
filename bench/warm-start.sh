#!/usr/bin/env bash
# How fast an unchanged recipe runs again: `tinyrun recipes/hello.tiny.csx` warm (compiled recipe
# from the cache, Roslyn never loaded) against cold (--no-cache: Roslyn compiles the recipe), in one
# hyperfine run. Also the bare start of the runner (--help) for reference. Results in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TINYRUN_CACHE="$work/cache"
./tinyrun recipes/hello.tiny.csx --output "$work/hello.tar" -q >/dev/null   # builds the runner, fills the cache

mkdir -p bench/results
hyperfine --warmup 2 --runs 15 --export-markdown bench/results/warm-start.md --export-json bench/results/warm-start.json \
  -n "tinyrun --help" "./tinyrun --help" \
  -n "warm (cached recipe)" "./tinyrun recipes/hello.tiny.csx --output $work/hello.tar -q" \
  -n "cold (--no-cache)" "./tinyrun recipes/hello.tiny.csx --output $work/hello.tar -q --no-cache"
cat bench/results/warm-start.md
