// Package stack starts the real components seedgate's end-to-end tests and demo run against:
// a Dendrite homeserver, qBittorrent-nox, the matrix-js-sdk approver and seedgate itself, each on
// 127.0.0.1 with free ports, each stopped by the caller's cleanup.
//
// Tools are found in the repository's .cache/bin (Dendrite, built by `make tools`), on PATH
// (qbittorrent-nox) and in test/approver/node_modules (Node 22 and matrix-js-sdk). A missing
// tool fails the test in CI and skips it elsewhere, saying which tool and how to get it.
package stack
