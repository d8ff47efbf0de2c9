package signal

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
)

// socketConn is signal-cli's unix socket (`daemon --socket PATH`): one JSON-RPC object per
// line each way, answers matched to calls by id, incoming messages as "receive"
// notifications. A broken connection is dialled again by the next call or receive.
type socketConn struct {
	path string

	mu      sync.Mutex
	current *socketSession
}

// socketSession is one connection and what waits on it.
type socketSession struct {
	conn    net.Conn
	writeMu sync.Mutex
	done    chan struct{} // closed when the connection breaks
	err     error         // why, once done is closed

	mu      sync.Mutex
	pending map[string]chan []byte
	queue   []Envelope    // received, not yet handled: never dropped
	ready   chan struct{} // poked when queue grows
}

// session returns the live connection, dialling one if there is none.
func (s *socketConn) session(ctx context.Context) (*socketSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil {
		select {
		case <-s.current.done:
		default:
			return s.current, nil
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", s.path)
	if err != nil {
		return nil, err
	}
	sess := &socketSession{conn: conn, done: make(chan struct{}), pending: map[string]chan []byte{}, ready: make(chan struct{}, 1)}
	go sess.read()
	s.current = sess
	return sess, nil
}

// read routes every line: answers to their callers, notifications to the queue.
func (sess *socketSession) read() {
	scanner := bufio.NewScanner(sess.conn)
	scanner.Buffer(make([]byte, 64<<10), 4<<20)
	for scanner.Scan() {
		line := append([]byte(nil), scanner.Bytes()...)
		var frame struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Envelope *Envelope `json:"envelope"`
				Result   *struct {
					Envelope *Envelope `json:"envelope"`
				} `json:"result"` // manual receive mode wraps the envelope
			} `json:"params"`
		}
		if json.Unmarshal(line, &frame) != nil {
			continue
		}
		sess.mu.Lock()
		switch {
		case len(frame.ID) > 0 && string(frame.ID) != "null":
			if ch := sess.pending[string(frame.ID)]; ch != nil {
				ch <- line
				delete(sess.pending, string(frame.ID))
			}
		case frame.Method == "receive" && frame.Params.Envelope != nil:
			sess.queue = append(sess.queue, *frame.Params.Envelope)
		case frame.Method == "receive" && frame.Params.Result != nil && frame.Params.Result.Envelope != nil:
			sess.queue = append(sess.queue, *frame.Params.Result.Envelope)
		}
		sess.mu.Unlock()
		select {
		case sess.ready <- struct{}{}:
		default:
		}
	}
	sess.err = scanner.Err()
	if sess.err == nil {
		sess.err = errors.New("signal-cli closed the socket")
	}
	_ = sess.conn.Close()
	close(sess.done)
}

// call writes one request line and waits for its answer.
func (s *socketConn) call(ctx context.Context, body []byte) ([]byte, error) {
	var req struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	sess, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	answer := make(chan []byte, 1)
	sess.mu.Lock()
	sess.pending[string(req.ID)] = answer
	sess.mu.Unlock()
	defer func() {
		sess.mu.Lock()
		delete(sess.pending, string(req.ID))
		sess.mu.Unlock()
	}()
	sess.writeMu.Lock()
	_, err = sess.conn.Write(append(body, '\n'))
	sess.writeMu.Unlock()
	if err != nil {
		return nil, err
	}
	select {
	case line := <-answer:
		return line, nil
	case <-sess.done:
		return nil, fmt.Errorf("socket broke before the answer: %w", sess.err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// receive hands every queued and incoming envelope to handle until ctx ends or the
// connection breaks.
func (s *socketConn) receive(ctx context.Context, handle func(Envelope)) error {
	sess, err := s.session(ctx)
	if err != nil {
		return fmt.Errorf("signal-cli socket: %w", err)
	}
	drain := func() {
		sess.mu.Lock()
		queued := sess.queue
		sess.queue = nil
		sess.mu.Unlock()
		for _, e := range queued {
			handle(e)
		}
	}
	for {
		drain()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sess.done:
			drain() // what arrived before the break is still handled
			return fmt.Errorf("signal-cli socket: %w", sess.err)
		case <-sess.ready:
		}
	}
}
