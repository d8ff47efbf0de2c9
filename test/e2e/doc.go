// Package e2e holds seedgate's end-to-end tests: real Dendrite, real qBittorrent, seedgate as
// built, and the independent matrix-js-sdk approver.
package e2e
