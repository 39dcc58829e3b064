#!/usr/bin/env bash
# .NET images against Microsoft's sample image size report (issue 13): recipes/dotnet-webapi.tiny.csx published the
# six ways of the report's table (framework-dependent, self-contained + trimmed, Native AOT; each without and with
# ICU + tzdata), each built twice: with the recipe's OpenSSL choice (openssl=false: this API serves plain HTTP and
# makes no outbound request, so it never loads OpenSSL) and with openssl=true (OpenSSL + CA certificates, as
# Microsoft's images have). Compressed size = the sum of the gzip layers, as tinyrun prints it (decimal MB). Every
# image is loaded into the engine and must answer GET /releases on 127.0.0.1 (--network host), or the run fails.
# Needs a Docker engine (scripts/start-docker.sh), the .NET SDK, clang and zlib1g-dev (scripts/install-test-deps.sh).
# Results: bench/results/dotnet.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
names=()
cleanup() { for n in "${names[@]}"; do docker rm -f "$n" >/dev/null 2>&1 || true; docker rmi "$n" >/dev/null 2>&1 || true; done; rm -rf "$work"; }
trap cleanup EXIT
mkdir -m 700 "$work/cache"
export TINYRUN_CACHE="$work/cache"
./tinyrun --help >/dev/null   # builds the runner once
run=$RANDOM
out=bench/results/dotnet.md
{
  echo "| publish | globalization | openssl | compressed | files | answered |"
  echo "|---|---|---|---:|---:|---|"
} > "$work/table"
port=$((20000 + RANDOM % 20000))
for publish in framework self-contained aot; do
  for globalization in false true; do
    for openssl in false true; do
      tag="tinyimage-bench-$run-$publish-$globalization-$openssl:t"
      names+=("$tag")
      line=$(./tinyrun recipes/dotnet-webapi.tiny.csx --load --tag "$tag" -o "$work/image.tar" \
        --arg publish=$publish --arg globalization=$globalization --arg openssl=$openssl 2>&1 | grep " compressed, ")
      size=$(sed -E 's/.*  ([0-9.]+ [kMG]?B) compressed.*/\1/' <<<"$line")
      files=$(sed -E 's/.*  ([0-9]+) files.*/\1/' <<<"$line")
      name="tinyimage-bench-$run-$publish-$globalization-$openssl"
      names+=("$name")
      port=$((port + 1))
      docker run -d --rm --pull never --name "$name" --network host -e ASPNETCORE_HTTP_PORTS=$port "$tag" >/dev/null
      answered=no
      for _ in $(seq 150); do
        if body=$(curl -fsS "http://127.0.0.1:$port/releases" 2>/dev/null) && [[ $body == '[{"version":"10.0"'* ]]; then answered=yes; break; fi
        sleep 0.2
      done
      [ "$answered" = yes ] || { echo "bench: $tag did not answer:" >&2; docker logs "$name" >&2; exit 1; }
      docker rm -f "$name" >/dev/null
      echo "| $publish | $globalization | $openssl | $size | $files | $answered |" | tee -a "$work/table"
    done
  done
done
{
  echo "recipes/dotnet-webapi.tiny.csx, $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD), .NET SDK $(dotnet --version), $(uname -m)"
  echo
  cat "$work/table"
} > "$out"
echo "bench: $out"
