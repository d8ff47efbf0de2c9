package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// percentile returns the p-th percentile (nearest rank) of samples.
func percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	rank := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

var quantiles = []float64{50, 95, 99}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func ratio(a, b time.Duration) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

func cpuModel() string {
	raw, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(raw), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return "unknown CPU"
}

// latencyRow is one measured path on one homeserver, next to its floor on the same homeserver.
type latencyRow struct {
	name, homeserver string
	got, floor       []time.Duration
}

// latencyRows lists each measured path of each run.
func latencyRows(lats []*latencyResult) []latencyRow {
	var rows []latencyRow
	for _, lat := range lats {
		rows = append(rows,
			latencyRow{"event → card sent", lat.homeserver, lat.cardAnswered, lat.floorAnswered},
			latencyRow{"event → card stamped", lat.homeserver, lat.eventToCard, lat.cardFloor},
			latencyRow{"approval → action", lat.homeserver, lat.approvalToAction, lat.actionFloor})
	}
	return rows
}

func markdown(lats []*latencyResult, door *doorResult, b *burstResult, rest []*restResult, machine string, n int) string {
	var md strings.Builder
	var servers []string
	for _, lat := range lats {
		servers = append(servers, lat.homeserverVersion)
	}
	fmt.Fprintf(&md, "# Benchmarks\n\nWritten by `make bench` (hack/bench) on %s, %s. Every figure comes from the real local\n", machine, time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&md, "stack: %s (each on SQLite), qBittorrent-nox from Debian, seedgate, and a matrix-js-sdk approver with its\n", strings.Join(servers, " and "))
	md.WriteString("Rust crypto, all on 127.0.0.1. Each homeserver's floors are measured in the same run against that homeserver;\n")
	md.WriteString("seedgate runs in the encryption mode `auto` picks there (`sync` on Dendrite, `appservice` on Synapse).\n\n")
	fmt.Fprintf(&md, "## Latency (%d samples each)\n\n", n)
	md.WriteString(latencyTable(lats))
	md.WriteString("\n- **event → card**: from `seedgate-hook` starting (what qBittorrent's \"run on torrent added\" runs) to the homeserver\n")
	md.WriteString("  answering the encrypted card's send (**sent**: seedgate's \"Posted a card\" log line, written as the answer arrives)\n")
	md.WriteString("  and to the card's `origin_server_ts` (**stamped**: the homeserver's clock, at millisecond resolution). Floor, to the\n")
	md.WriteString("  same two ends: the same trigger starting `floorhook` (hack/bench/floorhook: signs one call as `seedgate-hook` does\n")
	md.WriteString("  and posts it, nothing else linked in), a listener that checks the signature and answers 202, then a minimal mautrix\n")
	md.WriteString("  client (goolm crypto, same room shape: one approver device) sending one encrypted message.\n")
	md.WriteString("- **approval → action**: from the approver client sending ✅ to qBittorrent reporting the torrent running (polled every\n")
	fmt.Fprintf(&md, "  %s). Floor:", statePoll)
	md.WriteString(" the same reaction's trip to a minimal mautrix client's /sync, plus one qBittorrent `torrents/resume`\n")
	md.WriteString("  call until qBittorrent reports the torrent running:")
	for i, lat := range lats {
		if i > 0 {
			md.WriteString(";")
		}
		fmt.Fprintf(&md, " on %s, p50 %s + %s", lat.homeserver, ms(percentile(lat.deliveryFloor, 50)), ms(percentile(lat.apiFloor, 50)))
	}
	md.WriteString(".\n")
	fmt.Fprintf(&md, "  qBittorrent's `refresh_interval` is set to %d ms for these runs; at its default of 1,500 ms the Web API reports\n", qbRefresh.Milliseconds())
	md.WriteString("  any state change up to 1.5 s late, whoever made it, and both figures would carry that.\n")
	md.WriteString("  On Synapse seedgate reads the reaction from an appservice transaction, not /sync, while the floor client syncs.\n")
	md.WriteString("- Samples run one at a time: seedgate's next one begins once the approver has the card edited to show the last\n")
	md.WriteString("  action done, so no sample shares the cores with the tail of the one before, as none of the floor's does.\n")
	md.WriteString("\n![latency against the floor](benchmarks.svg)\n\nWhy some figures are well above their floor: [performance.md](performance.md).\n\n")
	md.WriteString(doorSection(door, n))
	md.WriteString(burstSection(b))
	md.WriteString(restSection(rest, b.pollInterval))
	return md.String()
}

// burstSection is the burst's table and the one of seedgate at rest after it.
func burstSection(b *burstResult) string {
	var md strings.Builder
	fmt.Fprintf(&md, "## Burst\n\n%d torrents added within %s (four Web API calls of 250) as an RSS rule adds them: qBittorrent's setting\n", b.burst, b.addTook.Round(time.Millisecond))
	fmt.Fprintf(&md, "decides whether they start, and door mode set it to stopped. Each fires the on-added hook. %d more already watched.\n", b.watched-b.burst)
	fmt.Fprintf(&md, "Policy: hold, `digest_after: %d`, `digest_window: %s`.\n\n", burstDigestAfter, burstDigestWindow)
	md.WriteString("| measure | value |\n|---|---|\n")
	fmt.Fprintf(&md, "| all listed by qBittorrent after (asked every %s) | %s |\n", burstStatePoll, b.listedAfter.Round(time.Millisecond))
	fmt.Fprintf(&md, "| all on a card after (the homeserver's stamp on the last) | %s (%s after qBittorrent listed the last) |\n", b.cardedAfter.Round(time.Millisecond),
		(b.cardedAfter - b.listedAfter).Round(time.Millisecond))
	fmt.Fprintf(&md, "| all readable by the approver after | %s |\n", b.readableAfter.Round(time.Millisecond))
	fmt.Fprintf(&md, "| torrents stopped / seen transferring / on a card | %d / %d / %d of %d |\n", b.held, b.started, b.carded, b.burst)
	fmt.Fprintf(&md, "| cards in the room's timeline | %d (single cards and digests; the goal is at most 5) |\n", b.timeline)
	fmt.Fprintf(&md, "| digest cards in the first digest's thread | %d |\n", b.inThread)
	fmt.Fprintf(&md, "| single cards + digest cards | %d + %d (two seed reactions on each in the timeline) |\n", b.cards, b.digests)
	fmt.Fprintf(&md, "| messages from the bot the approver received | %d |\n", b.botMessages)
	return md.String()
}

// restSection is the table of seedgate at rest, one row per number of torrents watched.
func restSection(rows []*restResult, pollInterval string) string {
	var md strings.Builder
	md.WriteString("\n## At rest, by torrents watched\n\n")
	fmt.Fprintf(&md, "One qBittorrent with that many torrents, the burst's requests still pending, polled every %s (the default).\n", pollInterval)
	md.WriteString("The window begins once the burst has settled: at the first of seedgate's polls that read under 1 KB (qBittorrent\n")
	md.WriteString("answers an idle poll with about ten bytes), \"settled after\" from the burst's end. Then one more torrent is added as\n")
	md.WriteString("qBittorrent is set to add it (its hook fires), timed from the add call until seedgate's \"Torrent event\" for it.\n")
	md.WriteString("Bytes per idle poll are what the watcher read (`seedgate_watcher_poll_bytes_total` over `seedgate_watcher_polls_total`).\n")
	md.WriteString("Go heap is the runtime's HeapAlloc when RSS was read, from seedgate's heap profile (`metrics.profiling`), which\n")
	md.WriteString("`go run ./hack/bench -keep` keeps as seedgate/heap-N.txt, for `go tool pprof`.\n")
	md.WriteString("Fewer idle polls with more torrents is seedgate's back-off: an idle sync/maindata costs qBittorrent CPU in proportion\n")
	md.WriteString("to what it holds, and polls may take at most a tenth of its time (hooks still make seedgate look at once).\n\n")
	md.WriteString("| torrents watched | requests pending | settled after | window | seedgate RSS | Go heap (HeapAlloc) | CPU per idle minute | idle polls | bytes per idle poll | one new torrent seen after |\n")
	md.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		if r.failed != nil {
			fmt.Fprintf(&md, "| %d | %d | failed: %s | | | | | | | |\n", r.watched, r.pending, strings.ReplaceAll(r.failed.Error(), "|", "/"))
			continue
		}
		perPoll := "–"
		if r.polls > 0 {
			perPoll = fmt.Sprintf("%.0f", r.pollBytes/r.polls)
		}
		settled := r.settled.Round(100 * time.Millisecond).String()
		if r.unsettled {
			settled = "never (" + settled + ")"
		}
		fmt.Fprintf(&md, "| %d | %d | %s | %s | %.1f MiB | %.1f MiB | %s (%.2f%% of one core) | %.0f | %s | %s |\n", r.watched, r.pending, settled, r.window,
			r.rssMiB, r.heapMiB, perMinute(r.idleCPU, r.window).Round(time.Millisecond), 100*float64(r.idleCPU)/float64(r.window),
			r.polls, perPoll, ms(r.detect))
	}
	return md.String()
}

// perMinute scales CPU time used over window to one minute. In floating point: as durations,
// cpu × one minute overflows int64 (nanoseconds) past 154 ms of CPU, which is how an earlier
// report came to print "-85ms" per idle minute next to 0.88% of one core.
func perMinute(cpu, window time.Duration) time.Duration {
	return time.Duration(float64(cpu) * float64(time.Minute) / float64(window))
}

// svgPlot draws p50/p95/p99 of each path beside its floor as grouped bars.
func svgPlot(lats []*latencyResult) string {
	rows := latencyRows(lats)
	var top time.Duration
	for _, row := range rows {
		top = max(top, percentile(row.got, 99), percentile(row.floor, 99))
	}
	const height, left, bottom, barW = 360, 70, 300, 20
	width := left + 40 + len(rows)*(len(quantiles)*(2*barW+12)+50)
	scale := func(d time.Duration) float64 { return float64(d) / float64(top) * 260 }
	var svg strings.Builder
	fmt.Fprintf(&svg, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&svg, `<text x="%d" y="20" font-size="14">seedgate latency (bars) against its floor (hatched), p50 / p95 / p99</text>`+"\n", left)
	fmt.Fprintf(&svg, `<defs><pattern id="h" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#888" stroke-width="3"/></pattern></defs>`+"\n")
	fmt.Fprintf(&svg, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>`+"\n", left, bottom, width-20, bottom)
	for i := 0; i <= 4; i++ {
		v := top * time.Duration(i) / 4
		y := float64(bottom) - scale(v)
		fmt.Fprintf(&svg, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left, y, width-20, y, left-6, y+4, ms(v))
	}
	x := left + 20
	for _, row := range rows {
		groupStart := x
		for _, q := range quantiles {
			for j, series := range [][]time.Duration{row.got, row.floor} {
				v := percentile(series, q)
				fill := "#2b6cb0"
				if j == 1 {
					fill = "url(#h)"
				}
				fmt.Fprintf(&svg, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s" stroke="#333"/>`+"\n", x, float64(bottom)-scale(v), barW, scale(v), fill)
				x += barW
			}
			fmt.Fprintf(&svg, `<text x="%d" y="%d" text-anchor="middle">p%.0f</text>`+"\n", x-barW, bottom+16, q)
			x += 12
		}
		fmt.Fprintf(&svg, `<text x="%d" y="%d" text-anchor="middle" font-weight="bold">%s</text>`+"\n", (groupStart+x)/2, bottom+36, row.name)
		fmt.Fprintf(&svg, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", (groupStart+x)/2, bottom+52, row.homeserver)
		x += 50
	}
	svg.WriteString("</svg>\n")
	return svg.String()
}

// doorSection is the door-mode table: how long a torrent no policy holds waits stopped.
func doorSection(door *doorResult, n int) string {
	var md strings.Builder
	fmt.Fprintf(&md, "## Door mode: a torrent no policy holds (%d samples each)\n\n", n)
	md.WriteString("qBittorrent told to add torrents stopped (`gate: door`, the default); each torrent added through the Web API without\n")
	md.WriteString("naming a start state, as a person or a watch folder adds, and timed until qBittorrent reports it running (polled every\n")
	fmt.Fprintf(&md, "%s, `refresh_interval` %d ms). A held torrent stays stopped all along; this is what door mode costs one that is not.\n\n", statePoll, qbRefresh.Milliseconds())
	md.WriteString("Each add comes a random part of a second after the previous torrent ran, so adds fall anywhere in the polling cycle.\n")
	md.WriteString("The floor is the add until qBittorrent lists the torrent at all, which no gate can beat.\n\n")
	md.WriteString("| detection | add → running p50 | p95 | p99 | floor: add → listed p50 | p99 |\n|---|---|---|---|---|---|\n")
	for _, row := range []struct {
		name            string
		samples, listed []time.Duration
	}{{"qBittorrent's \"run on torrent added\" hook", door.hooked, door.hookedListed},
		{fmt.Sprintf("polling every %s (the default, no hook)", door.pollInterval), door.polled, door.polledListed}} {
		fmt.Fprintf(&md, "| %s | %s | %s | %s | %s | %s |\n", row.name, ms(percentile(row.samples, 50)), ms(percentile(row.samples, 95)),
			ms(percentile(row.samples, 99)), ms(percentile(row.listed, 50)), ms(percentile(row.listed, 99)))
	}
	md.WriteString("\n")
	return md.String()
}

// latencyTable is each path's percentiles beside its floor's, with their ratios.
func latencyTable(lats []*latencyResult) string {
	var md strings.Builder
	md.WriteString("| homeserver | path | p50 | p95 | p99 | floor p50 | floor p95 | floor p99 | ratio p50 | ratio p95 | ratio p99 |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range latencyRows(lats) {
		cells := []string{row.homeserver, row.name}
		for _, q := range quantiles {
			cells = append(cells, ms(percentile(row.got, q)))
		}
		for _, q := range quantiles {
			cells = append(cells, ms(percentile(row.floor, q)))
		}
		for _, q := range quantiles {
			cells = append(cells, ratio(percentile(row.got, q), percentile(row.floor, q)))
		}
		fmt.Fprintf(&md, "| %s |\n", strings.Join(cells, " | "))
	}
	return md.String()
}
