#!/usr/bin/env bash
# What the Docker engine itself spends to load the bash+ls files as one layer and as the three layers tinyrun makes
# (the C library, the other libraries, the application: README "Layers and the layer cache"), against `tar | docker
# import` of the same files, in one hyperfine run (1 warm-up, 9 runs; the image is removed before each load, so the
# engine has none of its layers). The archives are docker-load tars with plain (uncompressed) layers, which is what
# `tinyrun --load` sends; nothing of tinyrun runs in the timed commands. This is the floor under a changed `--load`
# (issue 10, item 5): with three layers the engine alone takes longer than 2.5x `tar | docker import`.
# Needs hyperfine, python3 and a Docker engine (scripts/install-test-deps.sh, scripts/start-docker.sh).
# Results: bench/results/engine-layers.md and .json.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
scripts/start-docker.sh
work=$(mktemp -d)
bench="tinyimage-bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
cleanup() { docker rmi -f "$bench/one:t" "$bench/three:t" "$bench/import:t" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
export TINYRUN_CACHE="$work/cache" SOURCE_DATE_EPOCH=$(date +%s)   # layers of this run only
./tinyrun recipes/bash-ls.tiny.csx --output "$work/ls.tar" >/dev/null
mkdir "$work/image" "$work/rootfs"
tar -xf "$work/ls.tar" -C "$work/image"
python3 - "$work/image" "$work/rootfs" "$work/three.tar" "$work/one.tar" "$bench" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
image, rootfs, three, one, bench = sys.argv[1:]
manifest = json.load(open(os.path.join(image, "manifest.json")))[0]
layers = [gzip.decompress(open(os.path.join(image, l), "rb").read()) for l in manifest["Layers"]]
for layer in layers:
    tarfile.open(fileobj=io.BytesIO(layer)).extractall(rootfs)
def write(path, tag, layers):
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/bash"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    name = hashlib.sha256(config).hexdigest() + ".json"
    entries = [("manifest.json", json.dumps([{"Config": name, "RepoTags": [tag], "Layers": [d[7:] + "/layer.tar" for d in diff_ids]}]).encode()),
               (name, config)] + [(d[7:] + "/layer.tar", l) for d, l in zip(diff_ids, layers)]
    with tarfile.open(path, "w") as out:
        for entry, data in entries:
            info = tarfile.TarInfo(entry); info.size = len(data); out.addfile(info, io.BytesIO(data))
write(three, bench + "/three:t", layers)
whole = io.BytesIO()
with tarfile.open(fileobj=whole, mode="w", format=tarfile.PAX_FORMAT) as t:
    for name in sorted(os.listdir(rootfs)): t.add(os.path.join(rootfs, name), arcname=name)
write(one, bench + "/one:t", [whole.getvalue()])
PY
mkdir -p bench/results
echo "load average $(cut -d' ' -f1-3 /proc/loadavg), $(docker version --format 'Docker {{.Server.Version}}')" | tee bench/results/engine-layers.txt
hyperfine --warmup 1 --runs 9 --export-markdown bench/results/engine-layers.md --export-json bench/results/engine-layers.json \
  -n "docker load, three plain layers" --prepare "docker rmi -f $bench/three:t >/dev/null 2>&1 || true" "docker load -q -i $work/three.tar" \
  -n "docker load, one plain layer" --prepare "docker rmi -f $bench/one:t >/dev/null 2>&1 || true" "docker load -q -i $work/one.tar" \
  -n "tar | docker import" --prepare "docker rmi -f $bench/import:t >/dev/null 2>&1 || true" "tar -C $work/rootfs -c . | docker import - $bench/import:t"
