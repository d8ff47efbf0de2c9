package approval

import (
	"fmt"
	"time"
)

// Words that cards and the passkey page both show.

// DescribeOutcome says what an outcome does to the torrent, in the words a card and the
// passkey page show.
func DescribeOutcome(outcome string) string {
	switch outcome {
	case "resume":
		return "torrent resumed"
	case "remove":
		return "torrent removed"
	case "remove_with_data":
		return "torrent and its data removed"
	case "keep_stopped":
		return "torrent left stopped"
	}
	return outcome
}

// HumanSize says a byte count in binary units: "1.5 GiB".
func HumanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// TimeLeft says a duration the way a person would: "10 min", "45 s".
func TimeLeft(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d s", max(0, int(d.Seconds())))
	}
	return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
}
