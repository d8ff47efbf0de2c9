#!/usr/bin/env bash
# Builds seedgate's container image from Dockerfile: the static binary, the host's CA
# certificates and an empty data directory (rootfs/data) go into a build context of their own,
# so no base image is pulled. buildah by default (chroot isolation, which works as root without a
# container runtime), or IMAGE_BUILDER=docker.
#   IMAGE_TAG (seedgate:dev), IMAGE_CONTEXT (.cache/image), IMAGE_UID/IMAGE_GID (1337),
#   BUILDAH_FLAGS (global buildah flags, e.g. --root DIR --runroot DIR --storage-driver vfs),
#   VERSION, COMMIT (stamped into the binary).
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${IMAGE_TAG:-seedgate:dev}
context=${IMAGE_CONTEXT:-.cache/image}
certs=/etc/ssl/certs/ca-certificates.crt
if [ ! -s "$certs" ]; then
  echo "image: $certs is missing (apt-get install ca-certificates)" >&2
  exit 1
fi
rm -rf "$context"
mkdir -p "$context/rootfs/data"
chmod 700 "$context/rootfs/data"
CGO_ENABLED=0 go build -tags goolm -trimpath \
  -ldflags "-s -w -X main.version=${VERSION:-dev} -X main.commit=${COMMIT:-unknown}" \
  -o "$context/seedgate" ./cmd/seedgate
cp "$certs" "$context/ca-certificates.crt"
cp Dockerfile "$context/Dockerfile"
args=(--build-arg "UID=${IMAGE_UID:-1337}" --build-arg "GID=${IMAGE_GID:-1337}" -t "$tag")
case "${IMAGE_BUILDER:-buildah}" in
  # --format docker keeps HEALTHCHECK, which the OCI image format has no field for.
  # shellcheck disable=SC2086 # BUILDAH_FLAGS is a list of flags
  buildah) buildah ${BUILDAH_FLAGS:-} bud --isolation chroot --format docker --quiet "${args[@]}" "$context" ;;
  docker) docker build "${args[@]}" "$context" ;;
  *) echo "image: IMAGE_BUILDER must be buildah or docker" >&2; exit 1 ;;
esac
echo "image: built $tag"
