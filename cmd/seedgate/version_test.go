package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

// --version-json is for scripts: one JSON object naming the version, commit and platform.
func TestVersionJSON(t *testing.T) {
	var out bytes.Buffer
	printVersion(&out, true)
	var got buildInfo
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("--version-json printed %q: %v", out.String(), err)
	}
	if got.Version == "" || got.Commit == "" || got.Go != runtime.Version() || got.OS != runtime.GOOS || got.Arch != runtime.GOARCH {
		t.Fatalf("--version-json: %+v", got)
	}
	out.Reset()
	printVersion(&out, false)
	if !strings.HasPrefix(out.String(), "seedgate "+got.Version+" (") {
		t.Fatalf("--version: %q", out.String())
	}
}
