#!/usr/bin/env bash
# Builds the bash+ls image four ways, in one hyperfine run, and prints the medians:
#   tinyrun to a file, tinyrun --load, `docker build` of a FROM-scratch Dockerfile that COPYs the
#   same files, and the seed's `tar -c rootfs | docker import -`; plus `tar | gzip -6` of the same
#   files (the cost of just reading and compressing them). Needs hyperfine and a Docker engine
#   (scripts/start-docker.sh). Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
scripts/start-docker.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./tinyrun recipes/bash-ls.tiny.csx --output "$work/ls.tar" >/dev/null   # builds the runner, warms caches

# The same files as a rootfs directory, for the alternatives.
mkdir -p "$work/rootfs" "$work/image"
tar -xf "$work/ls.tar" -C "$work/image"
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][0])' "$work/image/manifest.json")
tar -xzf "$work/image/$layer" -C "$work/rootfs"
printf 'FROM scratch\nCOPY rootfs/ /\nCMD ["/bin/bash"]\n' > "$work/Dockerfile"

mkdir -p bench/results
hyperfine --warmup 1 --runs 7 --export-markdown bench/results/bash-ls.md --export-json bench/results/bash-ls.json \
  -n "tinyrun (file)" "./tinyrun recipes/bash-ls.tiny.csx --output $work/out.tar" \
  -n "tinyrun --load" "./tinyrun recipes/bash-ls.tiny.csx --load --output $work/out.tar" \
  -n "docker build" "DOCKER_BUILDKIT=0 docker build -q --no-cache --network none -t bench-ls-build $work" \
  -n "tar | docker import" "tar -C $work/rootfs -c . | docker import -c 'CMD [\"/bin/bash\"]' - bench-ls-import" \
  -n "tar | gzip -6" "tar -C $work/rootfs -c . | gzip -6 > $work/x.tar.gz"
cat bench/results/bash-ls.md
