package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// HumanDuration renders d the way Podman's and Docker's tables do ("Less
// than a second", "5 seconds", "About a minute", "3 hours", "2 weeks").
func HumanDuration(d time.Duration) string {
	secs := int(d.Seconds())
	switch {
	case secs < 1:
		return "Less than a second"
	case secs == 1:
		return "1 second"
	case secs < 60:
		return fmt.Sprintf("%d seconds", secs)
	}
	mins := int(d.Minutes())
	switch {
	case mins == 1:
		return "About a minute"
	case mins < 60:
		return fmt.Sprintf("%d minutes", mins)
	}
	// Hours are rounded, so 90 minutes read "2 hours" as in Docker.
	hours := int(d.Hours() + 0.5)
	const day, week, month, year = 24, 24 * 7, 24 * 30, 24 * 365
	switch {
	case hours == 1:
		return "About an hour"
	case hours < 2*day:
		return fmt.Sprintf("%d hours", hours)
	case hours < 2*week:
		return fmt.Sprintf("%d days", hours/day)
	case hours < 2*month:
		return fmt.Sprintf("%d weeks", hours/week)
	case hours < 2*year:
		return fmt.Sprintf("%d months", hours/month)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/year)
}

// Ago renders the time since t ("5 seconds ago"); the zero time is "".
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return HumanDuration(now.Sub(t)) + " ago"
}

var sizeUnits = []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}

// HumanSize renders a byte count with decimal units and three significant
// digits, as Podman's `images` does ("1.99 MB", "512 B").
func HumanSize(n int64) string {
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(sizeUnits)-1 {
		f /= 1000
		i++
	}
	s := strconv.FormatFloat(f, 'g', 3, 64)
	// Rounding 999.5 to three digits gives "1e+03": that is the next unit.
	if strings.ContainsRune(s, 'e') && i < len(sizeUnits)-1 {
		f /= 1000
		i++
		s = strconv.FormatFloat(f, 'g', 3, 64)
	}
	return s + " " + sizeUnits[i]
}

// ShortID is the 12-character form of a container or image ID, without a
// digest algorithm prefix.
func ShortID(id string) string {
	if _, hex, ok := strings.Cut(id, ":"); ok {
		id = hex
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
