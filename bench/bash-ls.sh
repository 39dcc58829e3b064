#!/usr/bin/env bash
# Builds the bash+ls image several ways and prints the medians (hyperfine, 1 warm-up, 7 runs):
#   files: tinyrun to a file (warm layer cache, and cold: the layer cache emptied before each run) against
#     `tar | gzip -6` of the same files (the cost of just reading and compressing them);
#   engine, in one hyperfine run (9 runs): tinyrun --load when the engine lacks the image (it is removed before each
#     run, so it is really loaded) and when it already has it (the load is skipped), each also with the build's record
#     removed (the recipe is built, from the layer cache, instead of skipped as unchanged), each also through the build
#     server (TINYRUN_SERVER=1; its warm-up run starts it), `docker load -i` of the same
#     archive (the engine's share), `tinyrun --help` (start-up), against `docker build` (classic builder, FROM scratch
#     + COPY of the same files; --no-cache, and cached) and `tar -c rootfs | docker import -`; the ratios against
#     issue 10's targets go to bench/results/load-ratios.txt;
#   a --load after changing only the application binary (the engine has the libraries' layers from the run before:
#   it registers one layer, where docker build --no-cache registers its one of everything), with the image removed by
#   name before each run, and as in an edit-build-run loop, where the last build is still in the engine under the name
#   (so the load cannot be opened before the image is built: it might be the same image);
#   a rebuild after changing only the application binary (the library layers are cache hits), and a 1 GiB build
#   (MB/s and peak RSS) and its rebuild with nothing changed.
# Every --prepare is given once per command (hyperfine runs a single --prepare before every command).
# Images get names of this run only (tinyimage-bench-<random>/...) and are removed at the end.
# Needs hyperfine, GNU time and a Docker engine (scripts/install-test-deps.sh, scripts/start-docker.sh).
# Results go to bench/results/. `bench/bash-ls.sh load` runs only the engine part.
set -euo pipefail
part=${1:-all}
want() { [ "$part" = all ] || [ "$part" = "$1" ]; }
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: install GNU time (apt-get install time)" >&2; exit 1; }
scripts/start-docker.sh

work=$(mktemp -d)
bench="tinyimage-bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
ls_tag="$bench/ls:t" build_tag="$bench/build:t" import_tag="$bench/import:t" app_tag="$bench/app:t" anchor_tag="$bench/app-anchor:t"
cleanup() {
  for pid in "$work"/run/tinyrun/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null; done; true  # the build server
  docker rmi -f "$ls_tag" "$build_tag" "$import_tag" "$app_tag" "$anchor_tag" >/dev/null 2>&1 || true
  docker image prune -f --filter "label=tinyimage-bench=$bench" >/dev/null 2>&1 || true  # earlier builds and imports
  rm -rf "$work"
}
trap cleanup EXIT
export TINYRUN_CACHE="$work/cache"
# The build server's commands (TINYRUN_SERVER=1) get a server of this run's own, stopped at the end.
mkdir -m 0700 "$work/run" && export XDG_RUNTIME_DIR="$work/run"
# File times of this run only: the engine has no layer of this image from elsewhere (docker load skips known layers).
export SOURCE_DATE_EPOCH=$(date +%s)
./tinyrun recipes/bash-ls.tiny.csx --output "$work/ls.tar" >/dev/null   # builds the runner, warms caches
tinyrun=$PWD/.tinyrun-build/tinyrun

# The same files as a rootfs directory, for the alternatives; docker build's context holds it and the Dockerfile only
# (the build sends its whole context to the engine: the scratch files of this run would be sent too).
mkdir -p "$work/context/rootfs" "$work/image"
tar -xf "$work/ls.tar" -C "$work/image"
for layer in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))[0]["Layers"]))' "$work/image/manifest.json"); do
  tar -xzf "$work/image/$layer" -C "$work/context/rootfs"
done
printf 'FROM scratch\nCOPY rootfs/ /\nCMD ["/bin/bash"]\n' > "$work/context/Dockerfile"

# A recipe whose application binary is a copy that changes every run (the library layers stay the same).
mkdir -p "$work/app"
cp /bin/ls "$work/app/ls"
# Labelled, so that the images the edit-build-run row leaves untagged are removed at the end with the run's others.
printf 'From.Scratch().AddBinary("ls", "/usr/bin/ls").WithLibs().Label("tinyimage-bench", "%s").Tag("app:latest");\n' "$bench" > "$work/app/app.tiny.csx"
./tinyrun "$work/app/app.tiny.csx" --output "$work/app.tar" >/dev/null

mkdir -p bench/results
{
  echo "before: load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, $(pgrep -cf 'dotnet|testhost' || true) dotnet processes (builds and tests of other agents)"
  echo "engine: $(docker version --format 'Docker {{.Server.Version}}'), $(docker info --format '{{.Images}} images, {{.ContainersRunning}} running containers')"
} | tee bench/results/machine.txt
want files && hyperfine --warmup 1 --runs 7 --export-markdown bench/results/bash-ls.md --export-json bench/results/bash-ls.json \
  -n "tinyrun (file, warm layer cache)" --prepare "true" "./tinyrun recipes/bash-ls.tiny.csx --output $work/out.tar" \
  -n "tinyrun (file, cold layer cache)" --prepare "rm -rf $work/cache/layers" "./tinyrun recipes/bash-ls.tiny.csx --output $work/out.tar" \
  -n "tar | gzip -6" --prepare "true" "tar -C $work/context/rootfs -c . | gzip -6 > $work/x.tar.gz"
# The engine, in ONE hyperfine run so that the ratios compare runs under the same machine load. The changed --load
# has the image removed before each run (so the engine lacks it and it is really sent and loaded); the unchanged one
# finds it in the engine under that name and ID and skips the load. tinyrun is the built program itself (what an
# installed tool runs), not the ./tinyrun script, which first checks whether the sources changed.
if want load; then
# The libraries' layers stay in the engine under a name of their own; each run loads a new application layer on them.
# Its files are dated a second later than bash+ls's, so it shares no layer with them (the C library's would be shared).
app_epoch=$((SOURCE_DATE_EPOCH + 1))
env SOURCE_DATE_EPOCH=$app_epoch "$tinyrun" "$work/app/app.tiny.csx" --load --tag "$anchor_tag" --output "$work/app.tar" >/dev/null
hyperfine --warmup 1 --runs 9 --export-markdown bench/results/load.md --export-json bench/results/load.json \
  -n "tinyrun --load, changed (engine lacks the image)" --prepare "docker rmi -f $ls_tag >/dev/null 2>&1 || true" \
    "$tinyrun recipes/bash-ls.tiny.csx --load --tag $ls_tag --output $work/out.tar" \
  -n "tinyrun --load, unchanged (load skipped)" --prepare "true" \
    "$tinyrun recipes/bash-ls.tiny.csx --load --tag $ls_tag --output $work/out.tar" \
  -n "tinyrun --load, changed, build not skipped (its record removed)" --prepare "docker rmi -f $ls_tag >/dev/null 2>&1 || true; rm -rf $work/cache/layers/builds" \
    "$tinyrun recipes/bash-ls.tiny.csx --load --tag $ls_tag --output $work/out.tar" \
  -n "tinyrun --load, unchanged, build not skipped (its record removed)" --prepare "rm -rf $work/cache/layers/builds" \
    "$tinyrun recipes/bash-ls.tiny.csx --load --tag $ls_tag --output $work/out.tar" \
  -n "tinyrun --load, changed, build server" --prepare "docker rmi -f $ls_tag >/dev/null 2>&1 || true" \
    "env TINYRUN_SERVER=1 $tinyrun recipes/bash-ls.tiny.csx --load --tag $ls_tag --output $work/out.tar" \
  -n "tinyrun --load, unchanged, build server" --prepare "true" \
    "env TINYRUN_SERVER=1 $tinyrun recipes/bash-ls.tiny.csx --load --tag $ls_tag --output $work/out.tar" \
  -n "tinyrun --load, application changed (its libraries' layers in the engine)" --prepare "printf x >> $work/app/ls; docker rmi -f $app_tag >/dev/null 2>&1 || true" \
    "env SOURCE_DATE_EPOCH=$app_epoch $tinyrun $work/app/app.tiny.csx --load --tag $app_tag --output $work/app.tar" \
  -n "tinyrun --load, application changed, build server" --prepare "printf x >> $work/app/ls; docker rmi -f $app_tag >/dev/null 2>&1 || true" \
    "env SOURCE_DATE_EPOCH=$app_epoch TINYRUN_SERVER=1 $tinyrun $work/app/app.tiny.csx --load --tag $app_tag --output $work/app.tar" \
  -n "tinyrun --load, application changed, its last build under the name (edit, build, run)" --prepare "printf x >> $work/app/ls" \
    "env SOURCE_DATE_EPOCH=$app_epoch $tinyrun $work/app/app.tiny.csx --load --tag $app_tag --output $work/app.tar" \
  -n "docker build --no-cache" --prepare "true" \
    "DOCKER_BUILDKIT=0 docker build -q --no-cache --network none --label tinyimage-bench=$bench -t $build_tag $work/context" \
  -n "docker build (cached)" --prepare "true" \
    "DOCKER_BUILDKIT=0 docker build -q --network none --label tinyimage-bench=$bench -t $build_tag $work/context" \
  -n "tar | docker import" --prepare "true" \
    "tar -C $work/context/rootfs -c . | docker import -c 'CMD [\"/bin/bash\"]' -c 'LABEL tinyimage-bench=$bench' - $import_tag" \
  -n "docker load -i of the same archive, engine lacks the image" --prepare "docker rmi -f $ls_tag >/dev/null 2>&1 || true" \
    "docker load -q -i $work/out.tar" \
  -n "tinyrun --help" --prepare "true" "$tinyrun --help"
python3 - bench/results/load.json <<'PY' | tee bench/results/load-ratios.txt
import json, statistics, sys
runs = {r["command"]: statistics.median(r["times"]) for r in json.load(open(sys.argv[1]))["results"]}
changed, unchanged = runs["tinyrun --load, changed (engine lacks the image)"], runs["tinyrun --load, unchanged (load skipped)"]
nocache, cached, imp = runs["docker build --no-cache"], runs["docker build (cached)"], runs["tar | docker import"]
for name, t in runs.items(): print(f"{name:60} median {t * 1000:7.1f} ms")
def row(what, ratio, target): print(f"{what:60} {ratio:5.2f}x (target <= {target}x: {'met' if ratio <= target else 'NOT met'})")
row("changed --load / docker build --no-cache", changed / nocache, 0.75)
row("changed --load / tar | docker import", changed / imp, 2.5)
row("unchanged --load / docker build (cached)", unchanged / cached, 2)
row("changed --load, build not skipped / docker build --no-cache", runs["tinyrun --load, changed, build not skipped (its record removed)"] / nocache, 0.75)
row("unchanged --load, build not skipped / docker build (cached)", runs["tinyrun --load, unchanged, build not skipped (its record removed)"] / cached, 2)
app, served_app = runs["tinyrun --load, application changed (its libraries' layers in the engine)"], runs["tinyrun --load, application changed, build server"]
row("application changed --load / docker build --no-cache", app / nocache, 0.75)
row("application changed --load, build server / docker build --no-cache", served_app / nocache, 0.75)
row("application changed --load, build server / tar | docker import", served_app / imp, 2.5)
row("application changed, last build under the name / docker build --no-cache", runs["tinyrun --load, application changed, its last build under the name (edit, build, run)"] / nocache, 0.75)
served, served_unchanged = runs["tinyrun --load, changed, build server"], runs["tinyrun --load, unchanged, build server"]
row("changed --load, build server / docker build --no-cache", served / nocache, 0.75)
row("changed --load, build server / tar | docker import", served / imp, 2.5)
row("unchanged --load, build server / docker build (cached)", served_unchanged / cached, 2)
PY
fi
if want files; then
hyperfine --warmup 1 --runs 7 --export-markdown bench/results/rebuild.md --export-json bench/results/rebuild.json \
  -n "rebuild, app changed (libs cached)" --prepare "printf x >> $work/app/ls" "./tinyrun $work/app/app.tiny.csx --output $work/app.tar" \
  -n "rebuild, cold layer cache" --prepare "printf x >> $work/app/ls; rm -rf $work/cache/layers" "./tinyrun $work/app/app.tiny.csx --output $work/app.tar"

# 1 GiB of generated, compressible files (4 x 224 MiB + 1024 x 128 KiB), and 10 MiB, for MB/s and peak RSS.
python3 - "$work/big" "$work/small" <<'PY'
import os, sys
line = b"".join(b"line %06d: the quick brown fox jumps over the lazy dog\n" % i for i in range(1200))[:65536]
def gen(d, big, size, small):
    os.makedirs(os.path.join(d, "small"))
    for i in range(big):
        with open(os.path.join(d, f"big-{i}.txt"), "wb") as f:
            for _ in range(size // len(line)): f.write(line)
    for i in range(small):
        with open(os.path.join(d, "small", f"s-{i:04}.txt"), "wb") as f: f.write(line * 2)
gen(sys.argv[1], 4, 224 << 20, 1024)
gen(sys.argv[2], 1, 5 << 20, 40)
PY
printf 'From.Scratch().AddDirectory(Args["dir"], "/data").Tag("big:latest");\n' > "$work/big.tiny.csx"
./tinyrun "$work/big.tiny.csx" --arg dir="$work/small" --output "$work/small.tar" >/dev/null
{
  for size in small big; do
    rm -rf "$work/cache/layers"
    start=$(date +%s.%N)
    rss=$( { /usr/bin/time -f '%M' ./tinyrun "$work/big.tiny.csx" --arg dir="$work/$size" --output "$work/$size.tar" >/dev/null; } 2>&1 | tail -1)
    end=$(date +%s.%N)
    bytes=$(du -sb "$work/$size" | cut -f1)
    python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); b=int(sys.argv[3]); print(f'{sys.argv[5]:5} input {b/2**20:7.1f} MiB  {s:6.2f} s  {b/2**20/s:7.1f} MiB/s  peak RSS {int(sys.argv[4])/1024:6.1f} MiB')" "$start" "$end" "$bytes" "$rss" "$size"
  done
  # The same 1 GiB again, unchanged: the layer cache knows its layer from the files' stamps and reads none of them
  # (the first rebuild checks the cached blob once and records its stamp; the second is timed).
  ./tinyrun "$work/big.tiny.csx" --arg dir="$work/big" --output "$work/big.tar" >/dev/null
  start=$(date +%s.%N)
  cpu=$( { /usr/bin/time -f '%U %S' ./tinyrun "$work/big.tiny.csx" --arg dir="$work/big" --output "$work/big.tar" >/dev/null; } 2>&1 | tail -1)
  end=$(date +%s.%N)
  python3 -c "import sys; u,s=map(float,sys.argv[3].split()); print(f'big   unchanged rebuild {float(sys.argv[2])-float(sys.argv[1]):6.2f} s  ({u+s:.2f} s of CPU)')" "$start" "$end" "$cpu"
  start=$(date +%s.%N); tar -C "$work/big" -c . | gzip -6 > "$work/big.tar.gz"; end=$(date +%s.%N)
  python3 -c "import sys; print(f'tar | gzip -6 of the 1 GiB: {float(sys.argv[2])-float(sys.argv[1]):.2f} s')" "$start" "$end"
} | tee bench/results/big.txt
fi
echo "after: load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a bench/results/machine.txt
if want load; then cat bench/results/load.md bench/results/load-ratios.txt; fi
if want files; then cat bench/results/bash-ls.md bench/results/rebuild.md; fi
