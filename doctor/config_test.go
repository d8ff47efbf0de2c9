package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	seedgate "github.com/seedgate/seedgate"
)

// doctor says when the file lacks keys this release documents, and what adds them.
func TestDoctorSaysTheConfigLacksDocumentedKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, seedgate.ExampleConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := checkConfigCurrent(path, seedgate.ExampleConfig); r.Status != OK {
		t.Fatalf("the example itself: %+v", r)
	}
	old := strings.Replace(string(seedgate.ExampleConfig), "  # Display name of the bot. Default seedgate.\n  bot_displayname: seedgate\n", "", 1)
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	r := checkConfigCurrent(path, seedgate.ExampleConfig)
	if r.Status != Warn || !strings.Contains(r.Detail, "appservice.bot_displayname") || r.Fix != "seedgate config upgrade -c "+path {
		t.Fatalf("an older file: %+v", r)
	}
}
