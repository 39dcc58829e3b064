#!/usr/bin/env bash
# Deflate speed and size for gzip layers: the runtime's zlib-ng (System.IO.Compression) against the managed deflaters
# of SharpZipLib and SharpCompress, all at level 6, on two uncompressed tars like the layers tinyrun writes:
#   bash-ls.tar: /bin/bash, /bin/ls and the libraries they load (ldd);
#   elf-50mb.tar: about 50 MB of shared libraries from /usr/lib (the first ones in sorted order).
# Each input is read into memory first (only the compressor is timed); medians of RUNS runs (default 7) after a warm-up.
# Results go to bench/results/deflate.md. Run it on an idle machine: the numbers are CPU-bound, one core.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

libs() { ldd "$@" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }'; }
tar -chf "$work/bash-ls.tar" --sort=name --mtime=@0 --owner=0 --group=0 /bin/bash /bin/ls $(libs /bin/bash /bin/ls | sort -u) 2>/dev/null
find /usr/lib -type f -name '*.so*' -size +64k -printf '%s %p\n' 2>/dev/null | LC_ALL=C sort -k2 |
  awk -v limit=$((50 * 1000 * 1000)) 'total + $1 <= limit { total += $1; print $2 }' > "$work/elf.list"
tar -cf "$work/elf-50mb.tar" --sort=name --mtime=@0 --owner=0 --group=0 -T "$work/elf.list" 2>/dev/null

dotnet build -c Release bench/deflate/DeflateBench.csproj -v q -nologo >/dev/null
mkdir -p bench/results
{
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, .NET $(dotnet --list-runtimes | awk '/NETCore.App/ { print $2 }' | tr '\n' ' ')"
  echo
  dotnet bench/deflate/bin/Release/net10.0/DeflateBench.dll "$runs" "$work/bash-ls.tar" "$work/elf-50mb.tar"
} | tee bench/results/deflate.md
