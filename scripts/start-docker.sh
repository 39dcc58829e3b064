#!/usr/bin/env bash
# Starts a Docker engine for TinyImage's tests, unless one already answers at DOCKER_HOST or
# /var/run/docker.sock. The engine gets no bridge network and touches no iptables rules: the only
# traffic allowed on the machines we test on is loopback, so containers run with --network none
# or --network host.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-docker: dockerd is not installed; run scripts/install-test-deps.sh (apt-get install docker.io)" >&2
  exit 1
fi

log=${TINYIMAGE_DOCKERD_LOG:-/tmp/tinyimage-dockerd.log}
driver_args=()
if [ -n "${TINYIMAGE_STORAGE_DRIVER:-}" ]; then driver_args=(--storage-driver "$TINYIMAGE_STORAGE_DRIVER"); fi
nohup dockerd --bridge=none --iptables=false --ip6tables=false "${driver_args[@]}" >"$log" 2>&1 &

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "start-docker: dockerd did not answer within 30 s; see $log" >&2
tail -n 20 "$log" >&2
exit 1
