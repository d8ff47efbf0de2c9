#!/usr/bin/env bash
# Installs what the tests and the demo need, each only when missing:
#   - Debian packages: the four torrent clients, python3-libtorrent (a seeder for the local swarm),
#     opentracker (the real tracker the door tests count announces on), chromium and its fonts
#     (test/cards renders every card in it), buildah (test/image builds the container image),
#     python3-nacl, postgresql, systemd (for systemd-analyze on the unit) (asks apt; needs root; the
#     tests start their own throwaway PostgreSQL server, never the system one)
#   - Dendrite v0.15.2, built from the pinned tools module into .cache/bin
#   - Node 22 and matrix-js-sdk 43 from npm, into test/approver/node_modules
#   - Synapse from Debian sid, in a small sid root built with debootstrap into
#     .cache/synapse-root (the host's Debian does not package it, and suites must not mix on
#     the host); about 1.5 minutes the first time
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(qbittorrent-nox transmission-daemon transmission-cli rtorrent deluged deluge-web python3-libtorrent python3-nacl postgresql systemd debootstrap opentracker chromium fonts-dejavu-core fonts-noto-color-emoji buildah)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]} from Debian"
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: need root to install ${missing[*]}: run 'sudo apt-get install ${missing[*]}'" >&2
    exit 1
  fi
  # Keep package scripts from starting services (qbittorrent-nox has none, but be safe).
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .cache/bin/dendrite ] || [ hack/tools/dendrite/go.mod -nt .cache/bin/dendrite ]; then
  echo "deps: building Dendrite (pinned in hack/tools/dendrite; about 2 minutes the first time)"
  mkdir -p .cache/bin
  (cd hack/tools/dendrite && CGO_ENABLED=1 go build -o ../../../.cache/bin/ \
    github.com/element-hq/dendrite/cmd/dendrite \
    github.com/element-hq/dendrite/cmd/generate-keys \
    github.com/element-hq/dendrite/cmd/generate-config \
    github.com/element-hq/dendrite/cmd/create-account)
fi

if [ ! -x test/approver/node_modules/node/bin/node ] || [ ! -d test/approver/node_modules/matrix-js-sdk ] \
   || [ test/approver/package-lock.json -nt test/approver/node_modules/.package-lock.json ]; then
  echo "deps: installing the approver client (Node 22, matrix-js-sdk) from npm"
  (cd test/approver && npm ci --no-audit --no-fund --loglevel=error)
fi

synapse_root=.cache/synapse-root
if [ ! -x "$synapse_root/usr/bin/synapse_homeserver" ]; then
  echo "deps: building a Debian sid root with matrix-synapse in $synapse_root (about 1.5 minutes the first time)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: need root for debootstrap and chroot: run 'sudo make deps'" >&2
    exit 1
  fi
  rm -rf "$synapse_root.tmp"
  mkdir -p .cache
  debootstrap --variant=minbase --include=ca-certificates sid "$synapse_root.tmp" http://deb.debian.org/debian >/dev/null
  # No services start inside the root; debootstrap's resolver can miss python3-cffi-backend,
  # which 'apt-get -f install' completes.
  printf '#!/bin/sh\nexit 101\n' > "$synapse_root.tmp/usr/sbin/policy-rc.d"
  chmod +x "$synapse_root.tmp/usr/sbin/policy-rc.d"
  chroot "$synapse_root.tmp" /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive
    apt-get -o Acquire::Check-Valid-Until=false update -qq &&
    apt-get -o Acquire::Check-Valid-Until=false install -y -qq --no-install-recommends matrix-synapse python3-cffi-backend >/dev/null &&
    apt-get -o Acquire::Check-Valid-Until=false -f install -y -qq >/dev/null &&
    apt-get clean'
  mkdir -p "$synapse_root.tmp/sg"
  mv "$synapse_root.tmp" "$synapse_root"
fi
