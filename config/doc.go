// Package config reads seedgate's YAML configuration and rejects mistakes before anything
// starts: unknown keys, bad durations, missing secrets and inconsistent policies are reported
// with the key path and line where they stand.
//
// It is not for defaults scattered elsewhere: every default lives in defaults.go.
package config
