package stack

import (
	"bufio"
	"encoding/json"
	"net"
	"sync"
)

// StartFakeSignalCLISocket is the same daemon in socket mode (`daemon --socket PATH`): one
// JSON-RPC object per line each way, and incoming messages as "receive" notifications to every
// connection. Its URL is unix://PATH.
func StartFakeSignalCLISocket(account, path string) (*FakeSignalCLI, error) {
	listener, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	f := &FakeSignalCLI{Account: account, URL: "unix://" + path, unregistered: map[string]bool{},
		untrusted: map[string]bool{}, subscribers: map[chan string]bool{}, socket: listener}
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			go f.serveSocket(conn)
		}
	}()
	return f, nil
}

// serveSocket answers one connection's requests and forwards notifications to it.
func (f *FakeSignalCLI) serveSocket(conn net.Conn) {
	defer conn.Close()
	var writeMu sync.Mutex
	write := func(v any) {
		line, _ := json.Marshal(v)
		writeMu.Lock()
		defer writeMu.Unlock()
		_, _ = conn.Write(append(line, '\n'))
	}
	events, unsubscribe := f.subscribe()
	defer unsubscribe()
	go func() {
		for params := range events {
			write(map[string]any{"jsonrpc": "2.0", "method": "receive", "params": json.RawMessage(params)})
		}
		_ = conn.Close() // the fake was closed
	}()
	scanner := bufio.NewScanner(conn)
	scanner.Buffer(make([]byte, 64<<10), 4<<20)
	for scanner.Scan() {
		var req fakeRPCRequest
		if err := json.Unmarshal(scanner.Bytes(), &req); err != nil {
			write(map[string]any{"jsonrpc": "2.0", "id": nil, "error": map[string]any{"code": -32700, "message": "Parse error"}})
			continue
		}
		answer := f.dispatch(req)
		if len(req.ID) > 0 && string(req.ID) != "null" {
			answer["jsonrpc"], answer["id"] = "2.0", req.ID
			write(answer)
		}
	}
}
