package events

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeLayouts are the ways staff write a time: ISO with a space or a T, or
// the German way.
var timeLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "02.01.2006 15:04", "2.1.2006 15:04"}

// ParseTime reads a time in Europe/Berlin: "2027-03-18 09:00",
// "2027-03-18T09:00" or "18.03.2027 09:00". A time that does not exist
// there (the hour skipped in March) is refused.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		t, err := time.ParseInLocation(layout, s, Berlin())
		if err != nil {
			continue
		}
		if t.Format(layout) != s {
			return time.Time{}, fmt.Errorf("%q gibt es in Deutschland nicht (Zeitumstellung)", s)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q ist keine Zeit wie 2027-03-18 09:00 oder 18.03.2027 09:00", s)
}

// FormatTime writes t in Europe/Berlin as staff write it.
func FormatTime(t time.Time) string { return t.In(Berlin()).Format("2006-01-02 15:04") }

// ParseOffset reads a reminder offset: "7d", "1d", "36h", "2h", "1d12h".
func ParseOffset(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	rest := in
	var d time.Duration
	if i := strings.IndexByte(rest, 'd'); i > 0 {
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q ist keine Dauer wie 7d oder 2h", in)
		}
		d, rest = time.Duration(n)*24*time.Hour, rest[i+1:]
	}
	if rest != "" {
		h, ok := strings.CutSuffix(rest, "h")
		n, err := strconv.Atoi(h)
		if !ok || err != nil || n < 0 {
			return 0, fmt.Errorf("%q ist keine Dauer wie 7d oder 2h", in)
		}
		d += time.Duration(n) * time.Hour
	}
	if in == "" {
		return 0, fmt.Errorf("leere Dauer")
	}
	return d, nil
}

// FormatOffset writes an offset as ParseOffset reads it.
func FormatOffset(d time.Duration) string {
	days, hours := d/(24*time.Hour), (d%(24*time.Hour))/time.Hour
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%dd%dh", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	default:
		return fmt.Sprintf("%dh", hours)
	}
}
