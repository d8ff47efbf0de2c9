// Command floorhook is the event → card floor's hook: the least a torrent client's "run on
// add" program can do. It signs one call the way seedgate-hook does (crypto.SignHook) and
// posts it, parsing no flags, so the bench can tell what seedgate-hook and seedgate add
// beyond it.
//
//	floorhook URL SECRET_FILE HASH
package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/seedgate/seedgate/crypto"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: floorhook URL SECRET_FILE HASH")
		os.Exit(2)
	}
	secret, err := crypto.LoadSecret(os.Args[2])
	if err != nil {
		fmt.Fprintf(os.Stderr, "floorhook: %v\n", err)
		os.Exit(1)
	}
	body := []byte(`{"hash":"` + os.Args[3] + `"}`)
	req, err := http.NewRequest(http.MethodPost, os.Args[1], bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(os.Stderr, "floorhook: %v\n", err)
		os.Exit(2)
	}
	req.Header.Set(crypto.HookHeader, crypto.SignHook(secret, time.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(os.Stderr, "floorhook: %v\n", err)
		os.Exit(1)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		fmt.Fprintf(os.Stderr, "floorhook: HTTP %d\n", resp.StatusCode)
		os.Exit(1)
	}
}
