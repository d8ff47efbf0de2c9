package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildInfo is what a build says about itself: what make stamped in with -ldflags, or else
// what the Go toolchain recorded (a `go install` or `go build` outside make).
type buildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Dirty   bool   `json:"dirty"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if b.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		b.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if b.Commit == "unknown" && len(s.Value) >= 12 {
				b.Commit = s.Value[:12]
			}
		case "vcs.modified":
			b.Dirty = s.Value == "true"
		}
	}
	return b
}

func (b buildInfo) String() string {
	dirty := ""
	if b.Dirty {
		dirty = ", modified"
	}
	return fmt.Sprintf("seedgate %s (%s%s, %s, %s/%s)", b.Version, b.Commit, dirty, b.Go, b.OS, b.Arch)
}

func printVersion(w io.Writer, asJSON bool) {
	b := currentBuild()
	if !asJSON {
		fmt.Fprintln(w, b)
		return
	}
	out, _ := json.Marshal(b)
	fmt.Fprintln(w, string(out))
}
