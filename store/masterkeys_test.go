package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestMasterKeyPins(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store, reopen func() *Store) {
		ctx := context.Background()
		at := time.UnixMilli(1_800_000_000_000)
		if _, err := st.GetMasterKeyPin(ctx, "@alice:hs"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("before any sighting: %v", err)
		}
		pin, err := st.PinMasterKey(ctx, "@alice:hs", "MK1", "first sight", at)
		if err != nil || pin.Pinned != "MK1" {
			t.Fatalf("%+v %v", pin, err)
		}
		// A later sighting never replaces the pin.
		if pin, err = st.PinMasterKey(ctx, "@alice:hs", "MK2", "first sight", at); err != nil || pin.Pinned != "MK1" {
			t.Fatalf("second pin replaced the first: %+v %v", pin, err)
		}
		for i, want := range []bool{true, false} {
			fresh, err := st.NoteMasterKeyChange(ctx, "@alice:hs", "MK2", at)
			if err != nil || fresh != want {
				t.Fatalf("note %d: fresh=%v err=%v, want %v", i, fresh, err, want)
			}
		}
		if fresh, _ := st.NoteMasterKeyChange(ctx, "@alice:hs", "MK1", at); fresh {
			t.Fatal("the pinned key noted as a change")
		}
		if err = st.RepinMasterKey(ctx, "@alice:hs", "MK3", "operator", at); !errors.Is(err, ErrPinMismatch) {
			t.Fatalf("re-pin to a key never seen: %v", err)
		}
		st = reopen()
		if err = st.RepinMasterKey(ctx, "@alice:hs", "MK2", "operator", at); err != nil {
			t.Fatal(err)
		}
		pins, err := st.ListMasterKeyPins(ctx)
		if err != nil || len(pins) != 1 || pins[0].Pinned != "MK2" || pins[0].Changed != "" || pins[0].PinnedBy != "operator" {
			t.Fatalf("after re-pin: %+v %v", pins, err)
		}
		var kinds []string
		if err = st.EachAudit(ctx, func(e *AuditEntry) error { kinds = append(kinds, e.Kind); return nil }); err != nil {
			t.Fatal(err)
		}
		want := []string{"master_key_pinned", "master_key_changed", "master_key_repinned"}
		if len(kinds) != len(want) || kinds[0] != want[0] || kinds[1] != want[1] || kinds[2] != want[2] {
			t.Fatalf("audit %v, want %v", kinds, want)
		}
	})
}
