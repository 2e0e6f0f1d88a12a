package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lib/pq"
)

// No error of PostgreSQL reaches staff as the driver wrote it.
func TestForStaffExplainsDatabaseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&pq.Error{Code: "23514", Constraint: "events_online_url_format", Message: "new row violates check constraint"}, "verstößt"},
		{&pq.Error{Code: "23505", Constraint: "events_slug_key"}, "gibt es schon"},
		{&pq.Error{Code: "23503"}, "nicht (mehr) gibt"},
		{&pq.Error{Code: "57P01"}, "RUNDBRIEF_DATABASE_URL"},
		{&pq.Error{Code: "40P01"}, "erneut ausführen"},
		{&pq.Error{Code: "42P01"}, "Code 42P01"},
	} {
		err := forStaff(fmt.Errorf("events: create: %w", tc.err))
		if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "pq:") || strings.Contains(msg, "events:") {
			t.Errorf("%s: %q, want German with %q", tc.err.(*pq.Error).Code, msg, tc.want)
		}
	}
	plain := fmt.Errorf("die Datei fehlt")
	if forStaff(plain) != plain {
		t.Error("an error that is not PostgreSQL's was changed")
	}
}

// An error that a package wrote for developers reaches staff behind a
// German sentence that says whom to tell.
func TestForStaffFramesDeveloperErrors(t *testing.T) {
	t.Parallel()
	err := forStaff(fmt.Errorf("campaigns: render: %w", fmt.Errorf("boom")))
	if msg := err.Error(); !strings.HasPrefix(msg, "etwas Unerwartetes ist geschehen") || !strings.Contains(msg, "technische Betreuung") {
		t.Errorf("staff read %q", msg)
	}
	german := fmt.Errorf("die Datei kontakte.csv lässt sich nicht öffnen")
	if forStaff(german) != german {
		t.Error("a German error was framed")
	}
}
