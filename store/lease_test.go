package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// awaitLease takes the lease for st as soon as it can (the holder's lease runs out on the
// database's clock, which the test cannot move).
func awaitLease(t *testing.T, st *Store, me Holder, ttl time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, err := st.TakeLease(ctx, me, ttl)
		if err == nil {
			return
		}
		if !errors.Is(err, ErrLeaseHeld) {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatal("the lease never became free")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Two seedgates on one database: the second is refused and told who runs; the first, frozen
// past its lease while the second takes over, writes nothing more: not an audit entry, a
// request, a state change, a vote, a card, an outbox claim, nor a renewal.
func TestLeaseOneActiveAndFencing(t *testing.T) {
	eachBackend(t, func(t *testing.T, first *Store, reopen func() *Store) {
		ctx := context.Background()
		second := reopen()
		now := time.Now()
		a := Holder{Host: "host-a", PID: 100, PIDNS: "pid:[1]", Since: now}
		b := Holder{Host: "host-b", PID: 200, PIDNS: "pid:[2]", Since: now}
		const ttl = 300 * time.Millisecond
		if _, err := first.TakeLease(ctx, a, ttl); err != nil {
			t.Fatal(err)
		}
		holder, err := second.TakeLease(ctx, b, time.Minute)
		if !errors.Is(err, ErrLeaseHeld) || holder.Host != "host-a" || holder.PID != 100 || holder.Since.UnixMilli() != now.UnixMilli() {
			t.Fatalf("second instance: %v, holder %+v", err, holder)
		}
		if err = first.InsertRequest(ctx, newTestRequest("r1")); err != nil {
			t.Fatal(err)
		}
		if err = first.AppendAudit(ctx, "test", "r1", map[string]int{"n": 1}); err != nil {
			t.Fatal(err)
		}
		if err = first.RenewLease(ctx, ttl); err != nil {
			t.Fatal(err)
		}
		if err = first.CheckLease(); err != nil {
			t.Fatalf("a lease just renewed: %v", err)
		}

		// The first is frozen: it renews no more, its lease runs out, the second takes over.
		awaitLease(t, second, b, time.Minute)
		lost := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, ErrLeaseLost) {
				t.Errorf("the frozen instance's %s: %v, want ErrLeaseLost", what, err)
			}
		}
		lost("audit append", first.AppendAudit(ctx, "test", "r1", map[string]int{"n": 2}))
		lost("new request", first.InsertRequest(ctx, newTestRequest("r2")))
		_, err = first.TransitionRequest(ctx, "r1", Transition{From: []RequestState{"pending"}, To: "approved", Verdict: "approved", DecidedBy: "@x:y"})
		lost("state change", err)
		lost("vote", first.InsertVote(ctx, &Vote{RequestID: "r1", Person: "alice", Decision: "approve", Counted: true, CreatedAt: time.Now()}))
		lost("card", first.SetCard(ctx, Card{Room: "!room", Event: "$card"}, &Request{ID: "r1"}))
		_, err = first.ClaimDueOutbox(ctx, time.Now(), 10)
		lost("outbox claim", err)
		lost("renewal", first.RenewLease(ctx, ttl))
		lost("own check", first.CheckLease())
		if err = second.CheckLease(); err != nil {
			t.Fatalf("the new holder: %v", err)
		}

		got, err := second.GetRequest(ctx, "r1")
		if err != nil || got.State != "pending" || got.CardEvent != "" {
			t.Fatalf("the frozen instance changed r1: %+v %v", got, err)
		}
		if _, err = second.GetRequest(ctx, "r2"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the frozen instance inserted r2: %v", err)
		}
		if n, err := second.VerifyAudit(ctx); err != nil || n != 1 {
			t.Fatalf("audit after the takeover: %d entries, %v (want the first one only)", n, err)
		}
		if err = second.AppendAudit(ctx, "test", "r1", map[string]int{"n": 3}); err != nil {
			t.Fatalf("the new holder cannot write: %v", err)
		}
		held, current, err := second.LeaseHolder(ctx)
		if err != nil || !current || held.Host != "host-b" {
			t.Fatalf("lease holder after the takeover: %+v %v %v", held, current, err)
		}

		// A clean stop releases the lease: the next one need not wait it out.
		if err = second.ReleaseLease(ctx); err != nil {
			t.Fatal(err)
		}
		third := reopen()
		if _, err = third.TakeLease(ctx, Holder{Host: "host-c", PID: 300, Since: time.Now()}, time.Minute); err != nil {
			t.Fatalf("after a release: %v", err)
		}
		lost("write after release", second.AppendAudit(ctx, "test", "r1", nil))
	})
}

// A holder that was a process in this PID namespace and no longer exists (a crash a moment
// ago) is not waited out; a live one, or one elsewhere, is.
func TestLeaseOfADeadProcessHereIsTakenAtOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store, reopen func() *Store) {
		ctx := context.Background()
		me := ThisProcess(time.Now())
		if me.PIDNS == "" {
			t.Skip("no /proc/self/ns/pid: not Linux")
		}
		dead := exec.Command("true")
		if err := dead.Run(); err != nil {
			t.Fatal(err)
		}
		crashed := me
		crashed.PID = dead.Process.Pid
		if _, err := st.TakeLease(ctx, crashed, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := reopen().TakeLease(ctx, me, time.Hour); err != nil {
			t.Fatalf("a dead holder on this host was waited for: %v", err)
		}
		if err := reopen().ReleaseLease(ctx); err != nil { // not ours: a no-op
			t.Fatal(err)
		}
		// Alive (this test's parent), on another host, or in another namespace: waited out.
		for name, holder := range map[string]Holder{
			"alive here":      {Host: me.Host, PID: os.Getppid(), PIDNS: me.PIDNS, Since: time.Now()},
			"dead elsewhere":  {Host: "elsewhere", PID: dead.Process.Pid, PIDNS: me.PIDNS, Since: time.Now()},
			"other namespace": {Host: me.Host, PID: dead.Process.Pid, PIDNS: "pid:[0]", Since: time.Now()},
		} {
			previous := reopen()
			expireLease(t, previous)
			if _, err := previous.TakeLease(ctx, holder, time.Hour); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, err := reopen().TakeLease(ctx, me, time.Hour); !errors.Is(err, ErrLeaseHeld) {
				t.Errorf("holder %s: %v, want ErrLeaseHeld", name, err)
			}
		}
	})
}

// expireLease ends whoever's lease as if it ran out.
func expireLease(t *testing.T, st *Store) {
	t.Helper()
	if _, err := st.db.Exec(context.Background(), "UPDATE lease SET expires=0"); err != nil {
		t.Fatal(err)
	}
}

func newTestRequest(id string) *Request {
	return &Request{ID: id, State: "pending", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Minute)}
}

// A newer release does not upgrade the schema under an older seedgate that holds the lease:
// it refuses, naming it; once that one is gone it upgrades.
func TestNoSchemaUpgradeUnderAnActiveSeedgate(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			target := filepath.Join(t.TempDir(), "old.db")
			if kind == "postgres" {
				if pg == nil {
					if os.Getenv("CI") != "" {
						t.Fatalf("PostgreSQL unavailable in CI: %v", pgErr)
					}
					t.Skipf("PostgreSQL unavailable (outside CI, so skipping): %v", pgErr)
				}
				var err error
				if target, err = pg.NewDatabase(ctx); err != nil {
					t.Fatal(err)
				}
			}
			st := mustOpen(t, kind, target)
			if _, err := st.TakeLease(ctx, Holder{Host: "old-release", PID: 42, Since: time.Now()}, time.Hour); err != nil {
				t.Fatal(err)
			}
			// As the previous release left it: without the last migration's tables.
			for _, undo := range []string{"DROP TABLE passkeys", "DROP TABLE passkey_enrolments", "DROP TABLE passkey_nonces"} {
				if _, err := st.db.Exec(ctx, undo); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := st.db.Exec(ctx, "UPDATE seedgate_version SET version=$1", len(upgradeTable)-1); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(ctx, kind, target); !errors.Is(err, ErrUpgradeUnderActive) || !strings.Contains(err.Error(), "pid 42 on old-release") {
				t.Fatalf("upgrading under an active seedgate: %v", err)
			}
			expireLease(t, st)
			upgraded := mustOpen(t, kind, target)
			if _, err := upgraded.ListPasskeys(ctx, "alice"); err != nil {
				t.Fatalf("the upgrade did not run: %v", err)
			}
		})
	}
}

// Standbys racing for one lapsed lease: exactly one takes it, each time (PostgreSQL lets all
// of them read the lapsed row; the compare-and-set on its token decides).
func TestLeaseRaceHasOneWinner(t *testing.T) {
	eachBackend(t, func(t *testing.T, st *Store, reopen func() *Store) {
		ctx := context.Background()
		racers := make([]*Store, 6)
		for i := range racers {
			racers[i] = reopen()
		}
		for round := range 3 {
			expireLease(t, st)
			var wg sync.WaitGroup
			won := make(chan int, len(racers))
			for i, r := range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := r.TakeLease(ctx, Holder{Host: fmt.Sprintf("racer-%d", i), PID: 1000 + i, Since: time.Now()}, time.Hour); err == nil {
						won <- i
					} else if !errors.Is(err, ErrLeaseHeld) {
						t.Errorf("racer %d: %v", i, err)
					}
				}()
			}
			wg.Wait()
			close(won)
			var winners []int
			for i := range won {
				winners = append(winners, i)
			}
			if len(winners) != 1 {
				t.Fatalf("round %d: %d racers took the lease (%v), want one", round, len(winners), winners)
			}
		}
	})
}
