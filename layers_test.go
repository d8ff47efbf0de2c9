package seedgate

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/seedgate/seedgate"

// layers is the import diagram: each package of the product and the packages of this module
// it may import. An edge not listed here is a layering mistake (a courier reaching into the
// bot, the store learning about approvals), not a shortcut to take.
var layers = map[string][]string{
	".":                   {},
	"backoff":             {},
	"crypto":              {},
	"metrics":             {},
	"store":               {},
	"torrent/metainfo":    {},
	"torrent/kind":        {},
	"torrent/hookcall":    {"crypto"},
	"config":              {"crypto", "torrent/kind"},
	"torrent":             {"backoff", "crypto", "metrics", "store", "torrent/hookcall", "torrent/kind", "torrent/metainfo"},
	"approval":            {"config", "crypto", "metrics", "store", "torrent"},
	"bridges":             {"approval", "config", "crypto", "metrics", "store"},
	"bridges/bridgestest": {"store"},
	"bridges/rbm":         {"bridges", "config", "crypto", "metrics", "store"},
	"bridges/signal":      {"backoff", "bridges", "config", "metrics", "store"},
	"bridges/twilio":      {"bridges", "config", "metrics", "store"},
	"passkey":             {"approval", "config", "crypto", "store"},
	"bot":                 {"approval", "backoff", "bridges", "config", "crypto", "passkey", "store", "torrent"},
	"doctor":              {"bot", "bridges", "bridges/rbm", "bridges/signal", "bridges/twilio", "config", "crypto", "store", "torrent"},
	"cmd/seedgate": {".", "approval", "bot", "bridges", "bridges/rbm", "bridges/signal", "bridges/twilio",
		"config", "crypto", "doctor", "metrics", "passkey", "store", "torrent", "torrent/hookcall"},
	"cmd/seedgate-hook": {"torrent/hookcall"},
}

// matrixOnly are the packages that may speak Matrix through mautrix: everything else stays
// testable, and replaceable, without a homeserver.
var matrixOnly = []string{"bot", "doctor", "cmd/seedgate", "config"}

// TestImportLayers fails on any import between this module's packages that the diagram does
// not allow, on a product package missing from the diagram, and on mautrix outside matrixOnly.
func TestImportLayers(t *testing.T) {
	for _, v := range layerViolations(productImports(t)) {
		t.Error(v)
	}
}

// TestImportLayersCatchesAWrongEdge shows the check is not vacuous: the store reaching up
// into approval, a courier speaking Matrix and an unlisted package are each named.
func TestImportLayersCatchesAWrongEdge(t *testing.T) {
	got := layerViolations(map[string][]string{
		"store":          {"database/sql", modulePath + "/approval"},
		"bridges/signal": {"maunium.net/go/mautrix/id", modulePath + "/bridges"},
		"torrent/newone": {"net/http"},
	})
	want := []string{
		"bridges/signal imports maunium.net/go/mautrix/id: only [bot doctor cmd/seedgate config] speak Matrix",
		"package torrent/newone is not in the layer diagram (layers_test.go): add it with the imports it may make",
		"store imports approval, which the layer diagram does not allow",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// layerViolations checks each package's imports against the diagram, sorted for stable output.
func layerViolations(byDir map[string][]string) []string {
	var out []string
	for dir, imports := range byDir {
		allowed, known := layers[dir]
		if !known {
			out = append(out, fmt.Sprintf("package %s is not in the layer diagram (layers_test.go): add it with the imports it may make", dir))
			continue
		}
		for _, imp := range imports {
			if inner, ok := strings.CutPrefix(imp, modulePath); ok {
				inner = strings.TrimPrefix(inner, "/")
				if inner == "" {
					inner = "."
				}
				if !slices.Contains(allowed, inner) {
					out = append(out, fmt.Sprintf("%s imports %s, which the layer diagram does not allow", dir, inner))
				}
			}
			if strings.HasPrefix(imp, "maunium.net/go/mautrix") && !slices.Contains(matrixOnly, dir) {
				out = append(out, fmt.Sprintf("%s imports %s: only %v speak Matrix", dir, imp, matrixOnly))
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestPackageDocs fails on a product package with no "// Package name ..." comment (for a
// command, "// Command name ..."): the
// first thing a reader of the code meets should say what the package is for.
func TestPackageDocs(t *testing.T) {
	fset := token.NewFileSet()
	for dir := range productImports(t) {
		documented := false
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			// A command's doc names the command, as Go's own do ("Command gofmt ...").
			want := "Package " + f.Name.Name + " "
			if f.Name.Name == "main" {
				want = "Command " + filepath.Base(dir) + " "
			}
			if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), want) {
				documented = true
			}
		}
		if !documented {
			t.Errorf("package %s has no doc comment starting \"Package <name> \" (\"Command <name> \" for a command)", dir)
		}
	}
}

// productImports maps each product package directory (relative, "." for the root) to what
// its non-test files import. test/ and hack/ are tools around the product, not layers of it.
func productImports(t *testing.T) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	byDir := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == "test" || path == "hack" || path == "bin" || path == "dist" || path == "node_modules" ||
				(path != "." && strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if _, seen := byDir[dir]; !seen {
			byDir[dir] = nil
		}
		for _, spec := range f.Imports {
			imp, _ := strconv.Unquote(spec.Path.Value)
			byDir[dir] = append(byDir[dir], imp)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(byDir) < len(layers)/2 {
		t.Fatalf("found only %d packages from %s: not run from the module root?", len(byDir), mustGetwd(t))
	}
	return byDir
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}
