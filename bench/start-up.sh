#!/usr/bin/env bash
# What precompiling the runner as one composite ReadyToRun image with the .NET libraries (what ./tinyrun builds:
# self-contained, PublishReadyToRunComposite) saves against the framework-dependent ReadyToRun build it replaced, in
# one hyperfine run (2 warm-ups, 15 runs): `tinyrun --help`, a warm build of recipes/bash-ls.tiny.csx to a file, a
# second --push of it to Debian's docker-registry on 127.0.0.1 (nothing to upload) and a cold build (--no-cache:
# Roslyn compiles the recipe). Also how many methods each JIT-compiles for the second push (DOTNET_JitStdOutFile with
# DOTNET_JitDisasmSummary: what ReadyToRun left to the JIT). The framework-dependent build is made here, in a
# directory of its own (about a minute). Needs hyperfine and docker-registry (scripts/install-test-deps.sh).
# Results: bench/results/start-up.md, .json and start-up-jit.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
[ -x /usr/bin/docker-registry ] || { echo "bench: run scripts/install-test-deps.sh (docker-registry)" >&2; exit 1; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
registry="127.0.0.1:$port"
cat > "$work/registry.yml" <<YAML
version: 0.1
storage: { filesystem: { rootdirectory: $work/storage } }
http: { addr: "$registry", secret: bench }
log: { level: error, accesslog: { disabled: true } }
YAML
cleanup() { pkill -f "docker-registry serve $work/registry.yml" || true; rm -rf "$work"; }
trap cleanup EXIT
(setsid docker-registry serve "$work/registry.yml" >/dev/null 2>&1 &)
until curl -sf "http://$registry/v2/" >/dev/null 2>&1; do sleep 0.05; done

./tinyrun --help >/dev/null   # builds the composite runner if it is not built
composite=$PWD/.tinyrun-build/tinyrun
echo "bench: building the framework-dependent ReadyToRun runner for comparison..." >&2
dotnet publish src/Runner/TinyImage.Runner.csproj -c Release -r linux-x64 --self-contained false \
  -p:PublishReadyToRun=true --artifacts-path "$work/artifacts" -o "$work/r2r" --nologo -v quiet -clp:ErrorsOnly\;NoSummary >&2
r2r=$work/r2r/tinyrun

# Each runner has a cache of its own: a recipe compiled by one is compiled again by the other (the compiled-recipe
# cache keeps one assembly per recipe, for the runner that compiled it).
export TINYRUN_SERVER=0
composite="env TINYRUN_CACHE=$work/cache-composite $composite"
r2r="env TINYRUN_CACHE=$work/cache-r2r $r2r"
for t in "$composite" "$r2r"; do   # each fills its caches
  $t recipes/bash-ls.tiny.csx --tag "$registry/ls:1" --push --output "$work/ls.tar" -q >/dev/null
  $t recipes/bash-ls.tiny.csx --tag "$registry/ls:1" --push --output "$work/ls.tar" -q >/dev/null
done
mkdir -p bench/results
: > bench/results/start-up-jit.txt
for name in composite framework-dependent; do
  [ $name = composite ] && t=$composite || t=$r2r
  # The runtime may abort at exit with this diagnostic on (free(): invalid pointer); the list is written by then.
  DOTNET_JitStdOutFile="$work/jit-$name.txt" DOTNET_JitDisasmSummary=1 \
    $t recipes/bash-ls.tiny.csx --tag "$registry/ls:1" --push --output "$work/ls.tar" -q >/dev/null 2>&1 || true
  printf '%s: %s methods JIT-compiled for a second --push\n' $name "$(wc -l < "$work/jit-$name.txt")" \
    | tee -a bench/results/start-up-jit.txt
done

hyperfine -N --warmup 2 --runs 15 --export-markdown bench/results/start-up.md --export-json bench/results/start-up.json \
  -n "tinyrun --help, composite" "$composite --help" \
  -n "tinyrun --help, framework-dependent" "$r2r --help" \
  -n "warm build to a file, composite" "$composite recipes/bash-ls.tiny.csx --output $work/ls.tar -q" \
  -n "warm build to a file, framework-dependent" "$r2r recipes/bash-ls.tiny.csx --output $work/ls.tar -q" \
  -n "second --push, composite" "$composite recipes/bash-ls.tiny.csx --tag $registry/ls:1 --push --output $work/ls.tar -q" \
  -n "second --push, framework-dependent" "$r2r recipes/bash-ls.tiny.csx --tag $registry/ls:1 --push --output $work/ls.tar -q" \
  -n "cold build (--no-cache), composite" "$composite recipes/bash-ls.tiny.csx --no-cache --output $work/ls.tar -q" \
  -n "cold build (--no-cache), framework-dependent" "$r2r recipes/bash-ls.tiny.csx --no-cache --output $work/ls.tar -q"
python3 - <<'PY'
import json, statistics
r = {x["command"]: statistics.median(x["times"]) * 1000 for x in json.load(open("bench/results/start-up.json"))["results"]}
for what in ["tinyrun --help", "warm build to a file", "second --push", "cold build (--no-cache)"]:
    c, f = r[f"{what}, composite"], r[f"{what}, framework-dependent"]
    print(f"{what}: composite {c:.0f} ms, framework-dependent {f:.0f} ms ({c / f:.2f}x)")
PY
