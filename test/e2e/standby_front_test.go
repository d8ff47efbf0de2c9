package e2e

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// appserviceFront stands at the address the registration gives the homeserver, in front of
// seedgates taking turns on one database, as a load balancer that sends to the active one
// would. Switching cuts the requests still waiting on the old one (a frozen seedgate answers
// nothing), so the homeserver retries them against the new one.
type appserviceFront struct {
	mu     sync.Mutex
	target *url.URL
	cut    context.CancelFunc
	gen    context.Context
}

func newAppserviceFront(t *testing.T, listen string) *appserviceFront {
	t.Helper()
	f := &appserviceFront{}
	f.gen, f.cut = context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatalf("the front cannot take the registration's address %s: %v", listen, err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			f.mu.Lock()
			target := f.target
			f.mu.Unlock()
			r.SetURL(target)
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, err.Error(), http.StatusBadGateway)
		},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		gen, target := f.gen, f.target
		f.mu.Unlock()
		if target == nil {
			http.Error(w, "no active seedgate", http.StatusBadGateway)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		stop := context.AfterFunc(gen, cancel)
		defer stop()
		proxy.ServeHTTP(w, r.WithContext(ctx))
	})}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("front: %v", err)
		}
	}()
	t.Cleanup(func() { _ = srv.Close() })
	return f
}

// sendTo makes addr (host:port) the active seedgate's, cutting what waits on the previous one.
func (f *appserviceFront) sendTo(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cut()
	f.gen, f.cut = context.WithCancel(context.Background())
	f.target = &url.URL{Scheme: "http", Host: addr}
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
