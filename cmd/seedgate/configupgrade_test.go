package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	seedgate "github.com/seedgate/seedgate"
	"github.com/seedgate/seedgate/config"
)

// `seedgate config upgrade` on a config from a release before bot_displayname was documented:
// -n writes nothing; the upgrade keeps the file before it (same permissions), twice in the same
// second too; a config that does not load is left alone; and when an older release then meets
// a key it does not know, its error says which file to restore.
func TestConfigUpgradeCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	example := string(seedgate.ExampleConfig)
	old := strings.Replace(example, "  # Display name of the bot. Default seedgate.\n  bot_displayname: seedgate\n", "", 1)
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	var out, errs bytes.Buffer
	if code := runConfig([]string{"upgrade", "-n", "-c", path}, now, &out, &errs); code != 0 || !strings.Contains(out.String(), "added   appservice.bot_displayname") {
		t.Fatalf("dry run: %d %s %s", code, out.String(), errs.String())
	}
	if raw, _ := os.ReadFile(path); string(raw) != old {
		t.Fatal("-n changed the file")
	}
	if code := runConfig([]string{"upgrade", "-c", path}, now, &out, &errs); code != 0 {
		t.Fatalf("upgrade: %d %s", code, errs.String())
	}
	if raw, _ := os.ReadFile(path); string(raw) != example {
		t.Fatalf("upgraded file is not the example:\n%s", raw)
	}
	backup := path + ".before-upgrade-20261202T150000Z"
	if raw, err := os.ReadFile(backup); err != nil || string(raw) != old {
		t.Fatalf("the file before the upgrade was not kept: %v", err)
	}
	for _, p := range []string{path, backup} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", p, info.Mode(), err)
		}
	}
	out.Reset()
	if code := runConfig([]string{"upgrade", "-c", path}, now, &out, &errs); code != 0 || !strings.Contains(out.String(), "is up to date") {
		t.Fatalf("second upgrade: %d %s", code, out.String())
	}
	// Another old file, upgraded in the same second: the first backup stays.
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := runConfig([]string{"upgrade", "-c", path}, now, &out, &errs); code != 0 {
		t.Fatalf("upgrade in the same second: %d %s", code, errs.String())
	}
	if _, err := os.Stat(backup + "-2"); err != nil {
		t.Fatalf("second backup: %v", err)
	}

	broken := strings.Replace(example, "  mention_limit:", "  mention_limmit:", 1)
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	errs.Reset()
	if code := runConfig([]string{"upgrade", "-c", path}, now, &out, &errs); code == 0 || !strings.Contains(errs.String(), "matrix.mention_limmit: unknown key") ||
		!strings.Contains(errs.String(), "nothing written") {
		t.Fatalf("a config that does not load: %d %s", code, errs.String())
	}
	if raw, _ := os.ReadFile(path); string(raw) != broken {
		t.Fatal("a config that does not load was changed")
	}
	if _, err := config.Load(path); err == nil || !strings.Contains(err.Error(), "restore "+backup) {
		t.Fatalf("an unknown key next to a kept file does not say to restore it: %v", err)
	}
}
