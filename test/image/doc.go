// Package image builds seedgate's container image with Debian's buildah (hack/image.sh, the
// same script as `make image`) and runs its first-run flow and health check inside it.
package image
