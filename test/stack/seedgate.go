package stack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildSeedgate builds the seedgate binary as the Makefile does (pure Go, goolm) into dir,
// and seedgate-hook beside it (HookProgram).
func BuildSeedgate(ctx context.Context, dir string) (string, error) {
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o700); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "bin", "seedgate")
	for pkg, bin := range map[string]string{"./cmd/seedgate": out, "./cmd/seedgate-hook": HookProgram(out)} {
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", "goolm", "-o", bin, pkg)
		cmd.Dir = RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if raw, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("building %s: %v\n%s", pkg, err, raw)
		}
	}
	return out, nil
}

// HookProgram is the seedgate-hook BuildSeedgate built beside the seedgate binary bin.
func HookProgram(bin string) string { return filepath.Join(filepath.Dir(bin), "seedgate-hook") }

// Seedgate is a seedgate process started from a config file.
type Seedgate struct {
	Bin        string
	Dir        string
	ConfigPath string
	proc       *Proc
	runs       int
}

// Generate runs `seedgate -g` to write the appservice registration.
func (s *Seedgate) Generate(ctx context.Context, registrationPath string) error {
	out, err := exec.CommandContext(ctx, s.Bin, "-g", "-c", s.ConfigPath, "-r", registrationPath).CombinedOutput()
	if err != nil {
		return fmt.Errorf("seedgate -g: %v: %s", err, out)
	}
	return nil
}

// Start starts seedgate and waits until it says it is running.
func (s *Seedgate) Start(ctx context.Context) error {
	s.runs++
	proc, err := StartProc("seedgate", filepath.Join(s.Dir, fmt.Sprintf("seedgate-%d.log", s.runs)), nil, nil,
		s.Bin, "-c", s.ConfigPath)
	if err != nil {
		return err
	}
	s.proc = proc
	if _, _, err = proc.WaitLine(ctx, 0, func(l string) bool { return strings.Contains(l, `"seedgate running"`) }); err != nil {
		proc.Stop()
		return fmt.Errorf("seedgate did not start: %w\n%s", err, strings.Join(tail(proc.Lines(), 30), "\n"))
	}
	return nil
}

// Proc is the running seedgate process.
func (s *Seedgate) Proc() *Proc { return s.proc }

// Stop stops seedgate gracefully.
func (s *Seedgate) Stop() {
	if s.proc != nil {
		s.proc.Stop()
	}
}
