#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager (Kubernetes 1.20.2, Debian bookworm's source
# package) for the operator's real-API-server tests, and caches them outside the checkout keyed by
# version, so a rerun takes seconds. Prints the cache's bin directory on stdout.
#
#   bin/k8s-control-plane-build.sh          # build when missing, print the directory
#   K8S_BUILD_DIR=/var/tmp/x bin/k8s-control-plane-build.sh
#
# Why a source build: no Kubernetes server binary is packaged for Debian and the network here
# reaches only Debian, Maven Central and npm. Debian's 1.20.2 vendors modern-go/reflect2 1.0.1,
# which crashes on Go >= 1.18 while iterating maps; Debian's own 1.0.2 files replace it.
# Takes about 10 min of CPU on 2 cores (apiserver ~8 min, controller-manager ~1.5 min), 0.8 GB RSS.
set -euo pipefail

VERSION=1.20.2
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/sniproxy/k8s/$VERSION"
BIN="$CACHE/bin"
BUILD_DIR="${K8S_BUILD_DIR:-/var/tmp/sniproxy-k8s-build-$VERSION}"
BINARIES=(kube-apiserver kube-controller-manager)

log() { echo "k8s-build: $*" >&2; }

have_all() {
  local b
  for b in "${BINARIES[@]}"; do [ -x "$BIN/$b" ] || return 1; done
  command -v etcd >/dev/null 2>&1
}

if have_all; then echo "$BIN"; exit 0; fi

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
mkdir -p "$CACHE"
# One build at a time: a second caller waits for the first and then finds the binaries.
exec 9>"$CACHE/.lock"
flock 9
if have_all; then echo "$BIN"; exit 0; fi
started=$(date +%s)

# deb-src: the image's own Debian sources with Types: deb-src, so no mirror host is written here.
if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      | $SUDO tee /etc/apt/sources.list.d/sniproxy-deb-src.sources >/dev/null
  elif [ -f /etc/apt/sources.list ]; then
    sed -nE 's/^deb (.*)/deb-src \1/p' /etc/apt/sources.list \
      | $SUDO tee /etc/apt/sources.list.d/sniproxy-deb-src.list >/dev/null
  else
    log "no Debian sources file found to derive deb-src from"; exit 1
  fi
fi
$SUDO apt-get update -qq

# No daemons: etcd-server's service must not start (policy-rc.d exit 101 = "not allowed").
made_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  dpkg-dev golang-go rsync jq golang-github-modern-go-reflect2-dev etcd-server >&2
[ -z "$made_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d

mkdir -p "$BUILD_DIR"
cd "$BUILD_DIR"
# bookworm's source is versioned "1.20.5+really1.20.2": the directory ends in the real version.
find_src() { find "$BUILD_DIR" -mindepth 1 -maxdepth 1 -type d -name "kubernetes-*$VERSION" | head -1; }
SRC=$(find_src)
if [ -z "$SRC" ]; then
  apt-get source -qq kubernetes >&2
  SRC=$(find_src)
fi
[ -n "$SRC" ] || { log "apt-get source did not produce kubernetes-*$VERSION in $BUILD_DIR"; exit 1; }
grep -q "gitVersion=v$VERSION\|$VERSION" "$SRC/debian/changelog" \
  || { log "$SRC is not Kubernetes $VERSION"; exit 1; }

# Vendored reflect2 1.0.1 -> Debian's 1.0.2 (*.go and *.s only; tests are not needed).
REFLECT2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2
REFLECT2_DST="$SRC/vendor/github.com/modern-go/reflect2"
[ -d "$REFLECT2_SRC" ] || { log "missing $REFLECT2_SRC"; exit 1; }
find "$REFLECT2_DST" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
find "$REFLECT2_SRC" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' \
  -exec cp {} "$REFLECT2_DST/" \;

cd "$SRC"
for b in "${BINARIES[@]}"; do
  t0=$(date +%s)
  log "building $b"
  make WHAT="cmd/$b" GOFLAGS=-tags=providerless >&2
  log "$b built in $(( $(date +%s) - t0 )) s"
done

mkdir -p "$BIN.tmp"
for b in "${BINARIES[@]}"; do cp "$SRC/_output/local/bin/linux/amd64/$b" "$BIN.tmp/$b"; done
rm -rf "$BIN"
mv "$BIN.tmp" "$BIN"
log "control plane $VERSION built and cached in $BIN after $(( $(date +%s) - started )) s"
echo "$BIN"
