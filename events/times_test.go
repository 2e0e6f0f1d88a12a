package events_test

import (
	"errors"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
)

func TestParseTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in       string
		want     string // UTC, RFC 3339; "" for an error
		repeated bool
		err      events.Problem
	}{
		{"2027-07-05 09:00", "2027-07-05T07:00:00Z", false, ""},
		{"2027-07-05 9:00", "2027-07-05T07:00:00Z", false, ""}, // no leading zero is no DST gap
		{"5.7.2027 9:00", "2027-07-05T07:00:00Z", false, ""},
		{"05.07.2027 09:00", "2027-07-05T07:00:00Z", false, ""},
		{"2027-07-05T09:00", "2027-07-05T07:00:00Z", false, ""},
		// as an office writes it (issue 15, point 10)
		{"05.07.2027 18 Uhr", "2027-07-05T16:00:00Z", false, ""},
		{"5.7.2027, 9 Uhr", "2027-07-05T07:00:00Z", false, ""},
		{"05.07.2027 18.30 Uhr", "2027-07-05T16:30:00Z", false, ""},
		{"2027-07-05 18:30 Uhr", "2027-07-05T16:30:00Z", false, ""},
		{"05.07.2027 25 Uhr", "", false, events.ProblemTime},
		{"2027-01-05 09:00", "2027-01-05T08:00:00Z", false, ""},
		{"2027-03-28 02:30", "", false, events.ProblemNoSuchTime},
		{"2027-10-31 02:30", "2027-10-31T00:30:00Z", true, ""}, // the first 02:30, in summer time
		{"2027-10-31 01:59", "2027-10-30T23:59:00Z", false, ""},
		{"2027-10-31 03:00", "2027-10-31T02:00:00Z", false, ""},
		{"2027-07-05 25:00", "", false, events.ProblemTime},
		{"morgen", "", false, events.ProblemTime},
	} {
		got, err := events.ParseTime(tc.in)
		if tc.want == "" {
			fe, ok := errors.AsType[events.FieldError](err)
			if !ok || fe.Problem != tc.err || fe.Value != tc.in {
				t.Errorf("ParseTime(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got.UTC().Format(time.RFC3339) != tc.want || events.Repeated(got) != tc.repeated {
			t.Errorf("ParseTime(%q) = %s, %v (repeated %v); want %s (repeated %v)", tc.in, got.UTC().Format(time.RFC3339), err,
				events.Repeated(got), tc.want, tc.repeated)
		}
	}
}
