#!/usr/bin/env bash
# Installs what the tests and the demo need, each only when missing:
#   - Debian packages: the four torrent clients, python3-libtorrent (a seeder for the local swarm),
#     python3-nacl, postgresql, systemd (for systemd-analyze on the unit) (asks apt; needs root; the
#     tests start their own throwaway PostgreSQL server, never the system one)
#   - Dendrite v0.15.2, built from the pinned tools module into .cache/bin
#   - Node 22 and matrix-js-sdk 43 from npm, into test/approver/node_modules
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(qbittorrent-nox transmission-daemon transmission-cli rtorrent deluged deluge-web python3-libtorrent python3-nacl postgresql systemd)
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
