#!/usr/bin/env bash
# Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1:PORT with its storage under DIR, in the background,
# for trying --push by hand and for benchmarks (the tests start their own through tests/.../Registry/LocalRegistry.cs).
#   scripts/start-registry.sh PORT DIR [USER PASSWORD]   # with USER and PASSWORD: htpasswd Basic auth
# Prints 127.0.0.1:PORT once the registry answers. Stop it with: kill "$(cat DIR/registry.pid)"
set -euo pipefail
[ $# -eq 2 ] || [ $# -eq 4 ] || { echo "usage: $0 PORT DIR [USER PASSWORD]" >&2; exit 2; }
port=$1 dir=$(realpath -m "$2")
command -v docker-registry >/dev/null || { echo "start-registry: docker-registry is missing; run scripts/install-test-deps.sh" >&2; exit 1; }
mkdir -p "$dir/storage"
auth=""
if [ $# -eq 4 ]; then
  htpasswd -Bbn "$3" "$4" > "$dir/htpasswd"
  auth=$'auth:\n  htpasswd:\n    realm: tinyimage\n    path: '"$dir/htpasswd"
fi
cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: tinyimage-local-registry
$auth
YAML
docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
echo $! > "$dir/registry.pid"
for _ in $(seq 100); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then echo "127.0.0.1:$port"; exit 0; fi
  kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null || break
  sleep 0.1
done
echo "start-registry: the registry did not start; see $dir/registry.log" >&2
exit 1
