package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	seedgate "github.com/seedgate/seedgate"
)

// `-e` never overwrites an edited config; `-e -` prints the example.
func TestWriteExampleNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	var out, errs bytes.Buffer
	if code := writeExample(path, &out, &errs); code != 0 {
		t.Fatalf("first write: %d %s", code, errs.String())
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("example config: %v %v", info, err)
	}
	if err := os.WriteFile(path, []byte("edited: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	errs.Reset()
	if code := writeExample(path, &out, &errs); code == 0 || !strings.Contains(errs.String(), "not overwriting") {
		t.Fatalf("second write: %d %s", code, errs.String())
	}
	if raw, _ := os.ReadFile(path); string(raw) != "edited: true\n" {
		t.Fatalf("the edited config was overwritten: %q", raw)
	}
	out.Reset()
	if code := writeExample("-", &out, &errs); code != 0 || out.String() != string(seedgate.ExampleConfig) {
		t.Fatalf("-e - printed %d bytes, code %d", out.Len(), code)
	}
}
