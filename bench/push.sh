#!/usr/bin/env bash
# Pushes the bash+ls image to Debian's docker-registry on 127.0.0.1 and prints the medians (hyperfine, 1 warm-up,
# 7 runs), in one run with the alternative:
#   tinyrun --push to an empty registry (the registry is restarted on empty storage before each run: every blob is
#     uploaded), against `skopeo copy` of the same archive (docker-archive:) to the same empty registry;
#   a second tinyrun --push of the same image (every blob is there: HEADs and the manifest only), with its build skipped
#     as unchanged, and with the build's record removed before each run (built from the layer cache);
#   both again through the build server (TINYRUN_SERVER=1; the warm-up run starts it);
#   From.Image of the pushed image, cold (an empty blob cache: manifest, config and layers pulled) and warm.
# Needs hyperfine, skopeo and docker-registry (scripts/install-test-deps.sh). Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
command -v skopeo >/dev/null && [ -x /usr/bin/docker-registry ] || { echo "bench: run scripts/install-test-deps.sh (skopeo, docker-registry)" >&2; exit 1; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
registry="127.0.0.1:$port"
cat > "$work/registry.yml" <<YAML
version: 0.1
storage: { filesystem: { rootdirectory: $work/storage }, delete: { enabled: true } }
http: { addr: "$registry", secret: bench }
log: { level: error, accesslog: { disabled: true } }
YAML
cat > "$work/restart.sh" <<SH
#!/usr/bin/env bash
pkill -f "docker-registry serve $work/registry.yml" || true
while pgrep -f "docker-registry serve $work/registry.yml" >/dev/null; do sleep 0.02; done
rm -rf "$work/storage"
\${1:-true} && (setsid docker-registry serve "$work/registry.yml" >/dev/null 2>&1 &)
until curl -sf "http://$registry/v2/" >/dev/null 2>&1; do sleep 0.02; done
SH
chmod +x "$work/restart.sh"
cleanup() {
  for pid in "$work"/run/tinyrun/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null; done  # the build server
  pkill -f "docker-registry serve $work/registry.yml" || true; rm -rf "$work"
}
trap cleanup EXIT
export TINYRUN_CACHE="$work/cache"
# The build server's commands (TINYRUN_SERVER=1) get a server of this run's own, stopped at the end.
mkdir -m 0700 "$work/run" && export XDG_RUNTIME_DIR="$work/run"
"$work/restart.sh"
./tinyrun recipes/bash-ls.tiny.csx --tag "$registry/ls:1" --push --output "$work/ls.tar" >/dev/null   # builds the runner, warms caches
# The built program itself (what an installed tool runs), not the ./tinyrun script, which first checks the sources.
tinyrun=$PWD/.tinyrun-build/tinyrun
printf 'From.Image("%s/ls:1").AddText("/hello.txt", "hi").Tag("hello:1")\n' "$registry" > "$work/on-base.tiny.csx"
./tinyrun "$work/on-base.tiny.csx" --output "$work/on-base.tar" >/dev/null

mkdir -p bench/results
hyperfine --warmup 1 --runs 7 --export-markdown bench/results/push.md --export-json bench/results/push.json \
  -n "tinyrun --push, registry empty" --prepare "$work/restart.sh" \
    "$tinyrun recipes/bash-ls.tiny.csx --tag $registry/ls:1 --push --output $work/ls.tar" \
  -n "skopeo copy docker-archive: of the same archive, registry empty" --prepare "$work/restart.sh" \
    "skopeo copy -q --dest-tls-verify=false docker-archive:$work/ls.tar docker://$registry/ls:1" \
  -n "tinyrun --push again (nothing to upload)" --prepare "true" \
    "$tinyrun recipes/bash-ls.tiny.csx --tag $registry/ls:1 --push --output $work/ls.tar" \
  -n "tinyrun --push again (nothing to upload), build not skipped" --prepare "rm -rf $work/cache/layers/builds" \
    "$tinyrun recipes/bash-ls.tiny.csx --tag $registry/ls:1 --push --output $work/ls.tar" \
  -n "tinyrun --push, registry empty, build server" --prepare "$work/restart.sh" \
    "env TINYRUN_SERVER=1 $tinyrun recipes/bash-ls.tiny.csx --tag $registry/ls:1 --push --output $work/ls.tar" \
  -n "tinyrun --push again (nothing to upload), build server" --prepare "true" \
    "env TINYRUN_SERVER=1 $tinyrun recipes/bash-ls.tiny.csx --tag $registry/ls:1 --push --output $work/ls.tar" \
  -n "From.Image build, blob cache empty (pulls)" --prepare "rm -rf $work/cache/blobs" \
    "$tinyrun $work/on-base.tiny.csx --output $work/on-base.tar" \
  -n "From.Image build, blob cache warm" --prepare "true" \
    "$tinyrun $work/on-base.tiny.csx --output $work/on-base.tar"
python3 - bench/results/push.json <<'PY' | tee bench/results/push-ratios.txt
import json, statistics, sys
runs = {r["command"]: statistics.median(r["times"]) for r in json.load(open(sys.argv[1]))["results"]}
skopeo = runs["skopeo copy docker-archive: of the same archive, registry empty"]
for name, t in runs.items(): print(f"{name:60} median {t * 1000:7.1f} ms")
for suffix in ("", ", build server"):
    push, again = runs["tinyrun --push, registry empty" + suffix], runs["tinyrun --push again (nothing to upload)" + suffix]
    print(f"{'--push' + suffix + ' / skopeo copy':60} {push / skopeo:5.2f}x (target <= 1.5x: {'met' if push / skopeo <= 1.5 else 'NOT met'})")
    print(f"{'second --push' + suffix:60} {again * 1000:5.0f} ms (target < 250 ms: {'met' if again < 0.25 else 'NOT met'})")
built = runs["tinyrun --push again (nothing to upload), build not skipped"]
print(f"{'second --push, build not skipped':60} {built * 1000:5.0f} ms (target < 250 ms: {'met' if built < 0.25 else 'NOT met'})")
PY
