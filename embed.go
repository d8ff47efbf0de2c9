// Package seedgate holds the files that live at the top of the repository and ship inside the
// binary: the commented example configuration.
package seedgate

import _ "embed"

// ExampleConfig is config.example.yaml, written out by `seedgate -e`.
//
//go:embed config.example.yaml
var ExampleConfig []byte
