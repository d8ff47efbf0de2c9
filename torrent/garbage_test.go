package torrent

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAdaptersRefuseGarbage: a client that answers nonsense gives a clear error naming the
// client, never a poll with made-up changes.
func TestAdaptersRefuseGarbage(t *testing.T) {
	answers := map[string]http.HandlerFunc{
		"html": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Transmission-Session-Id", "s")
			if r.URL.Path == "/api/v2/auth/login" {
				io.WriteString(w, "Ok.")
				return
			}
			io.WriteString(w, "<html><body>Welcome to nginx</body></html>")
		},
		"truncated json": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Transmission-Session-Id", "s")
			if r.URL.Path == "/api/v2/auth/login" {
				io.WriteString(w, "Ok.")
				return
			}
			io.WriteString(w, `{"result": "success", "arguments": {"torrents": [{"id": 1,`)
		},
		"server error": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		},
	}
	for name, handler := range answers {
		server := httptest.NewServer(handler)
		clients := map[string]Client{}
		clients["qbittorrent"], _ = NewQBittorrent("box", server.URL, "u", "p")
		clients["transmission"], _ = NewTransmission("box", server.URL, "u", "p")
		clients["deluge"], _ = NewDeluge("box", server.URL, "p")
		clients["rtorrent"], _ = NewRTorrent("box", server.URL+"/RPC2", "", "")
		for kind, c := range clients {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := c.Connect(ctx)
			if err == nil {
				var ch *Changes
				ch, err = c.Poll(ctx)
				if err == nil {
					t.Errorf("%s answering %s: poll gave %+v", kind, name, ch)
				}
			}
			if err != nil && !strings.Contains(err.Error(), "box") {
				t.Errorf("%s answering %s: error does not name the client: %v", kind, name, err)
			}
			cancel()
		}
		server.Close()
	}
}

// TestSCGIOverTCP checks the SCGI framing on the TCP transport against a minimal server that
// parses the request as rTorrent does.
func TestSCGIOverTCP(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			go func(conn net.Conn) {
				defer conn.Close()
				r := bufio.NewReader(conn)
				lenText, _ := r.ReadString(':')
				n, _ := strconv.Atoi(strings.TrimSuffix(lenText, ":"))
				headers := make([]byte, n+1) // and the comma
				if _, err := io.ReadFull(r, headers); err != nil || headers[n] != ',' {
					return
				}
				fields := strings.Split(string(headers[:n]), "\x00")
				if fields[0] != "CONTENT_LENGTH" || fields[2] != "SCGI" || fields[3] != "1" {
					io.WriteString(conn, "Status: 400 Bad Request\r\n\r\n")
					return
				}
				size, _ := strconv.Atoi(fields[1])
				body := make([]byte, size)
				_, _ = io.ReadFull(r, body)
				answer := `<?xml version="1.0"?><methodResponse><params><param><value><array><data>` +
					`<value><array><data><value><string>0.9.8</string></value></data></array></value>` +
					`<value><array><data><value><string>0.13.8</string></value></data></array></value>` +
					`</data></array></value></param></params></methodResponse>`
				if !strings.Contains(string(body), "system.multicall") {
					io.WriteString(conn, "Status: 500 Internal Server Error\r\n\r\n")
					return
				}
				io.WriteString(conn, "Status: 200 OK\r\nContent-Type: text/xml\r\nContent-Length: "+strconv.Itoa(len(answer))+"\r\n\r\n"+answer)
			}(conn)
		}
	}()
	c, err := NewRTorrent("box", "scgi://"+listener.Addr().String(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err = c.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Version() != "rTorrent 0.9.8 (libtorrent 0.13.8)" {
		t.Fatalf("version %q", c.Version())
	}
	if _, err = NewRTorrent("box", "ftp://x", "", ""); err == nil {
		t.Fatal("an ftp URL was accepted")
	}
}
