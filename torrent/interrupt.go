package torrent

import (
	"context"
	"errors"
)

// Interruptible is a client whose poll waits for something to happen (Deluge's web.get_events
// holds the request open for up to 5 s). A hook's poke cuts that wait short, so the watcher
// looks at once, as it does for a client that answers straight away; Interrupted then tells the
// client its change feed may have lost what the cut-off answer carried, and it lists
// everything at its next poll.
type Interruptible interface {
	// WillWait reports whether the next poll is a wait, the only kind worth cutting short: a
	// full listing cut short by each poke of a burst would never finish.
	WillWait() bool
	Interrupted()
}

// errPollInterrupted says a poke cut a waiting poll short.
var errPollInterrupted = errors.New("poll interrupted by a hook")

// poll polls the client; for an Interruptible one, a poke during the poll ends it.
func (w *Watcher) poll(ctx context.Context) (*Changes, error) {
	ic, ok := w.Client.(Interruptible)
	if !ok || !ic.WillWait() {
		return w.Client.Poll(ctx)
	}
	pollCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	finished, poked := make(chan struct{}), make(chan bool, 1)
	go func() {
		select {
		case <-w.poke:
			cancel()
			poked <- true
		case <-finished:
			poked <- false
		}
	}()
	changes, err := w.Client.Poll(pollCtx)
	close(finished)
	switch {
	case !<-poked:
		return changes, err
	case err == nil:
		w.Poke() // the poll ended on its own as the poke came: the poke still asks for a look
		return changes, nil
	case ctx.Err() != nil:
		return nil, err
	}
	ic.Interrupted()
	return nil, errPollInterrupted
}
