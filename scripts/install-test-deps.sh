#!/usr/bin/env bash
# Installs what TinyImage's tests use, from Debian 12's packages: the Docker engine (docker.io,
# the real `docker load` and `docker run`), Go (the hello-web recipe builds a Go server), gcc (ELF
# fixtures), skopeo and umoci (independent readers of our images) and libtree (a resolver oracle).
# Needs root (or sudo). Does nothing for packages that are already there.
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v go >/dev/null 2>&1 || need+=(golang-go)
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v umoci >/dev/null 2>&1 || need+=(umoci)
command -v libtree >/dev/null 2>&1 || need+=(libtree)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "install-test-deps: installing ${need[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
