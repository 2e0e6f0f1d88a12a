package compose

import "testing"

func TestLinks(t *testing.T) {
	t.Parallel()
	abs := Links{Base: "https://rundbrief.example/knf/"}
	rel := Links{}
	for _, tc := range []struct{ got, want string }{
		{abs.Confirm("T1"), "https://rundbrief.example/knf/confirm/T1"},
		{abs.Preferences("T2"), "https://rundbrief.example/knf/preferences/T2"},
		{abs.Unsubscribe("T3"), "https://rundbrief.example/knf/unsubscribe/T3"},
		{abs.Event("talent-campus-2027"), "https://rundbrief.example/knf/events/talent-campus-2027"},
		{abs.Register("codeweek", "T4"), "https://rundbrief.example/knf/events/codeweek/register/T4"},
		{abs.Cancel("codeweek", "T5"), "https://rundbrief.example/knf/events/codeweek/cancel/T5"},
		{rel.EventCalendar("codeweek"), "/events/codeweek/kalender.ics"},
		{rel.Preferences("T6"), "/preferences/T6"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
