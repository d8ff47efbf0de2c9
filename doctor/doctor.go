package doctor

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Status is the outcome of one check.
type Status int

const (
	OK Status = iota
	Warn
	Fail
	Skipped
)

func (s Status) symbol() string {
	return [...]string{"✔", "⚠", "✘", "–"}[s]
}

// Result is one check's line, and for anything but OK, what to do about it.
type Result struct {
	Name   string
	Status Status
	Detail string
	Fix    string
}

func ok(name, detail string) Result { return Result{Name: name, Status: OK, Detail: detail} }

func fail(name, detail, fix string) Result {
	return Result{Name: name, Status: Fail, Detail: detail, Fix: fix}
}

func warn(name, detail, fix string) Result {
	return Result{Name: name, Status: Warn, Detail: detail, Fix: fix}
}

func skipped(name, why string) Result { return Result{Name: name, Status: Skipped, Detail: why} }

// Report prints results one line each, with the fix under each failure, and reports whether
// any check failed.
func Report(w io.Writer, results []Result) (failed bool) {
	for _, r := range results {
		fmt.Fprintf(w, "%s %s: %s\n", r.Status.symbol(), r.Name, r.Detail)
		if r.Fix != "" {
			fmt.Fprintf(w, "    fix: %s\n", r.Fix)
		}
		failed = failed || r.Status == Fail
	}
	return failed
}

// withTimeout bounds each network check, so one dead part cannot stall the rest.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 10*time.Second)
}
