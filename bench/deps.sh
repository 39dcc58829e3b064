#!/usr/bin/env bash
# Resolving shared-library trees: `tinyrun deps` over every dynamic ELF executable in /usr/bin, against
# libtree and lddtree (pax-utils, Python) over the same files, in one hyperfine run. Needs hyperfine,
# libtree, pax-utils and python3-pyelftools (apt-get install hyperfine libtree pax-utils python3-pyelftools).
# libtree exits non-zero on some files (hyperfine -i): its exit codes are not counted, only its time.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in hyperfine libtree lddtree; do
  command -v "$tool" >/dev/null || { echo "bench: install $tool (see the comment at the top of $0)" >&2; exit 1; }
done
./tinyrun --help >/dev/null   # builds the runner once

# Every ELF executable in /usr/bin that has an interpreter (dynamic), by its real path, once.
list=$(mktemp)
trap 'rm -f "$list"' EXIT
for f in /usr/bin/*; do
  [ -f "$f" ] && [ ! -L "$f" ] || continue
  head -c 4 "$f" 2>/dev/null | grep -q 'ELF' || continue
  readelf -l "$f" 2>/dev/null | grep -q 'Requesting program interpreter' && echo "$f"
done > "$list"
count=$(wc -l < "$list")
echo "$count dynamic ELF executables in /usr/bin" | tee bench/results/deps-count.txt

mkdir -p bench/results
hyperfine -i --warmup 1 --runs 5 --export-markdown bench/results/deps.md --export-json bench/results/deps.json \
  -n "tinyrun deps" "xargs -a $list ./tinyrun deps > /dev/null" \
  -n "libtree" "xargs -a $list libtree > /dev/null" \
  -n "lddtree (pax-utils)" "xargs -a $list /usr/bin/python3 /usr/bin/lddtree > /dev/null"
cat bench/results/deps.md
