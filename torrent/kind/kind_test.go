package kind

import (
	"slices"
	"testing"
)

func TestRegisterLookupNames(t *testing.T) {
	Register(Kind{Name: "test-b", Label: "B"})
	Register(Kind{Name: "test-a", Label: "A", URL: SCGIOrHTTP, PasswordOptional: true})
	if k, ok := Lookup("test-a"); !ok || k.Label != "A" || k.URL != SCGIOrHTTP || !k.PasswordOptional {
		t.Fatalf("Lookup(test-a) = %+v, %v", k, ok)
	}
	if _, ok := Lookup("utorrent"); ok {
		t.Fatal("an unregistered type was found")
	}
	if names := Names(); !slices.IsSorted(names) || !slices.Contains(names, "test-a") || !slices.Contains(names, "test-b") {
		t.Fatalf("Names() = %v", names)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("registering a type twice did not panic")
		}
	}()
	Register(Kind{Name: "test-a"})
}
