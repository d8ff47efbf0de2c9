package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/seedgate/seedgate/crypto"
	"github.com/seedgate/seedgate/test/stack"
)

// floorHook is the event -> card floor from the trigger on: floorhook (the least a client's
// "run on add" program can do) calls this listener, which checks the call's signature as
// seedgate does, answers 202 and then has the floor client send one encrypted message, as
// seedgate answers its hook and then posts the card.
type floorHook struct {
	bin, url, secretFile string
	verifier             *crypto.HookVerifier
	floor                *floorClient
	srv                  *http.Server
	sent                 chan floorSent
}

// floorSent is one message the floor sent on a hook call.
type floorSent struct {
	eventID      string
	answered, ts time.Time
	err          error
}

// startFloorHook builds floorhook as seedgate is built and starts its listener on a free port.
func startFloorHook(ctx context.Context, floor *floorClient, secretFile, dir string) (*floorHook, error) {
	bin := filepath.Join(dir, "floorhook")
	build := exec.CommandContext(ctx, "go", "build", "-tags", "goolm", "-o", bin, "./hack/bench/floorhook")
	build.Dir = stack.RepoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building floorhook: %w: %s", err, out)
	}
	secret, err := crypto.LoadSecret(secretFile)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &floorHook{bin: bin, url: "http://" + ln.Addr().String() + "/hook", secretFile: secretFile, floor: floor,
		verifier: crypto.NewHookVerifier(secret, time.Minute, &crypto.MemoryNonces{}), sent: make(chan floorSent, 1)}
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.srv.Serve(ln) }()
	return h, nil
}

func (h *floorHook) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err == nil {
		err = h.verifier.Verify(r.Context(), r.Header.Get(crypto.HookHeader), body, time.Now())
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	go func() {
		eventID, answered, ts, err := h.floor.send(context.Background(), "floor card for "+string(body))
		h.sent <- floorSent{eventID: eventID.String(), answered: answered, ts: ts, err: err}
	}()
}

// fire runs floorhook for hash and waits for the message it caused.
func (h *floorHook) fire(ctx context.Context, hash string) (start time.Time, sent floorSent, err error) {
	hook := exec.CommandContext(ctx, h.bin, h.url, h.secretFile, hash)
	start = time.Now()
	if out, err := hook.CombinedOutput(); err != nil {
		return start, sent, fmt.Errorf("floorhook: %w: %s", err, out)
	}
	select {
	case sent = <-h.sent:
		return start, sent, sent.err
	case <-ctx.Done():
		return start, sent, ctx.Err()
	}
}

func (h *floorHook) close() { _ = h.srv.Close() }
