// Command demo brings up a local stack (Dendrite, qBittorrent, seedgate and a matrix-js-sdk
// approver), adds a real torrent, and walks through one approval. With a terminal it asks you to
// approve or deny; with --auto (or no terminal) it approves by itself. Ctrl-C stops everything.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seedgate/seedgate/test/stack"
)

func main() {
	auto := flag.Bool("auto", false, "approve automatically instead of asking")
	keep := flag.Bool("keep", false, "keep the stack running after the approval until Ctrl-C")
	homeserver := flag.String("homeserver", stack.HomeserverKind(), "the homeserver to run: dendrite or synapse")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *homeserver, *auto || !isTerminal(os.Stdin), *keep); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

// isTerminal asks the kernel whether f is a terminal (/dev/null is a character device too).
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func step(format string, args ...any) {
	fmt.Printf("==> "+format+"\n", args...)
}

func run(ctx context.Context, homeserver string, auto, keep bool) error {
	tools, err := stack.FindTools()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "seedgate-demo-")
	if err != nil {
		return err
	}
	step("Working in %s (logs of every component are kept there)", dir)
	step("Building seedgate, starting qBittorrent, %s, the approver client (alice) and seedgate...", homeserver)
	start := time.Now()
	s, err := stack.Up(ctx, tools, stack.Options{Dir: dir, Approvers: []string{"alice"}, Homeserver: homeserver})
	if err != nil {
		return err
	}
	defer func() {
		step("Stopping everything")
		s.Down()
	}()
	step("Stack up in %s: %s at %s, qBittorrent %s", time.Since(start).Round(100*time.Millisecond), s.HS.Kind(), s.HS.BaseURL(), s.QB.URL)

	tf, err := stack.MakeTorrent(s.QB.DownloadDir, "demo-linux.iso", 4<<20)
	if err != nil {
		return err
	}
	step("Adding torrent %q (%s) to qBittorrent, as an RSS rule would", tf.Name, tf.Hash)
	if err = s.QB.Add(ctx, tf); err != nil {
		return err
	}
	alice := s.Clients["alice"]
	card, err := alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		r := m.Request()
		return m.Type == "message" && r != nil && r["hash"] == tf.Hash && m.Replaces() == ""
	})
	if err != nil {
		return err
	}
	state, err := waitState(ctx, s.QB, tf.Hash, func(state string, _ bool) bool { return stack.IsStopped(state) })
	if err != nil {
		return err
	}
	step("seedgate held the torrent (qBittorrent state: %s) and posted an encrypted card (%s).", state, card.WireType)
	step("alice's client (matrix-js-sdk, Rust crypto) decrypted it:\n\n%s\n", indent(card.Content["body"]))

	key := "✅"
	if !auto {
		fmt.Print("Approve or deny? [a/d] ")
		answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(answer)), "d") {
			key = "❌"
		}
	}
	step("alice reacts %s", key)
	if _, err = alice.React(ctx, card.RoomID, card.EventID, key); err != nil {
		return err
	}
	edit, err := alice.WaitFor(ctx, func(m *stack.ApproverMessage) bool {
		r := m.Request()
		return m.Type == "message" && m.Replaces() == card.EventID && r != nil && r["state"] == "done"
	})
	if err != nil {
		return err
	}
	newContent, _ := edit.Content["m.new_content"].(map[string]any)
	step("seedgate edited the card:\n\n%s\n", indent(newContent["body"]))
	state, err = waitState(ctx, s.QB, tf.Hash, func(state string, exists bool) bool {
		return !exists || (!stack.IsStopped(state) && !strings.HasPrefix(state, "checking"))
	})
	switch {
	case err != nil:
		return err
	case state == "":
		step("The torrent is gone from qBittorrent.")
	default:
		step("qBittorrent state is now %s: the torrent runs again.", state)
	}
	if keep {
		step("Stack left running; press Ctrl-C to stop it.")
		<-ctx.Done()
	}
	return nil
}

// waitState polls qBittorrent (its state can only be read by asking) until done accepts it.
func waitState(ctx context.Context, qb *stack.QBittorrent, hash string, done func(state string, exists bool) bool) (string, error) {
	for {
		state, exists, err := qb.State(ctx, hash)
		if err != nil {
			return "", err
		}
		if done(state, exists) {
			return state, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func indent(v any) string {
	s, _ := v.(string)
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
