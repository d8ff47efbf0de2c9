//go:build tools

// Package tools pins the Dendrite homeserver that the end-to-end tests and the demo run.
// Build it with `go build -o DIR/ github.com/element-hq/dendrite/cmd/...` from this folder.
package tools

import (
	_ "github.com/element-hq/dendrite/cmd/create-account"
	_ "github.com/element-hq/dendrite/cmd/dendrite"
	_ "github.com/element-hq/dendrite/cmd/generate-config"
	_ "github.com/element-hq/dendrite/cmd/generate-keys"
)
