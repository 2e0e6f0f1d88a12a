package events_test

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
)

func newStore(t *testing.T) *events.Store {
	t.Helper()
	db, _ := testenv.Database(t)
	return events.NewStore(db)
}

// newStoreDB is newStore with its database, for a test that looks behind
// the store.
func newStoreDB(t *testing.T) (*events.Store, *sqlx.DB) {
	t.Helper()
	db, _ := testenv.Database(t)
	return events.NewStore(db), db
}

func fromFile(t *testing.T, name string) events.Spec { return testenv.ExampleEvent(t, name) }

func TestCreateGetList(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	want := fromFile(t, "talent-campus-2027.yaml")
	e, err := s.Create(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != events.StatusDraft || e.Sequence != 0 || !e.Start.Equal(want.Start) || e.Start.Location() != events.Berlin() ||
		e.Capacity != 60 || len(e.Partners) != 2 || e.Deadline == nil || len(e.Reminders) != 3 || e.Topics[0] != "jugend" {
		t.Errorf("created %+v", e)
	}
	if _, err := s.Create(ctx, want); !errors.Is(err, events.ErrExists) {
		t.Errorf("same slug again: %v, want ErrExists", err)
	}
	other := fromFile(t, "codeweek-2027.yaml")
	if _, err := s.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx, "")
	if err != nil || len(list) != 2 || list[0].Slug != "talent-campus-2027" {
		t.Errorf("List = %v, %v", list, err)
	}
	if _, err := s.Get(ctx, "gibtsnicht"); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("Get unknown: %v", err)
	}
	bad := want
	bad.Slug, bad.Topics = "mit-unbekanntem-thema", []string{"astrologie"}
	var fe events.FieldError
	if _, err := s.Create(ctx, bad); !errors.Is(err, events.ErrUnknownTopic) || !errors.As(err, &fe) || fe.Field != "topics" {
		t.Errorf("unknown topic: %v", err)
	}
}

// Moving an event or its place raises its iCalendar SEQUENCE; other
// changes do not. A cancelled event cannot be changed or published.
func TestUpdateAndPublish(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	e, err := s.Create(ctx, fromFile(t, "job-speeddating-2027.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		edit   func(*events.Spec)
		change events.Change
		seq    int
	}{
		{"title only", func(s *events.Spec) { s.Title = "Job-Speeddating 2027" }, events.Change{}, 0},
		{"an hour later", func(s *events.Spec) { s.Start = s.Start.Add(time.Hour); s.End = s.End.Add(time.Hour) }, events.Change{Time: true}, 1},
		{"another room", func(s *events.Spec) { s.PlaceName = "Hochschule Nordhausen, Haus 1" }, events.Change{Place: true}, 2},
		{"same again", func(*events.Spec) {}, events.Change{}, 2},
	}
	for _, tt := range tests {
		spec := e.Spec
		tt.edit(&spec)
		got, change, err := s.Update(ctx, e.Slug, spec)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if change != tt.change || got.Sequence != tt.seq {
			t.Errorf("%s: change %+v, sequence %d; want %+v, %d", tt.name, change, got.Sequence, tt.change, tt.seq)
		}
		e = got
	}
	p, err := s.Publish(ctx, e.Slug)
	if err != nil || p.Status != events.StatusPublished {
		t.Fatalf("Publish = %+v, %v", p, err)
	}
	again, err := s.Publish(ctx, e.Slug)
	if err != nil || !again.UpdatedAt.Equal(p.UpdatedAt) {
		t.Errorf("publishing twice changed the event: %v", err)
	}
	if _, err := s.Publish(ctx, "gibtsnicht"); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("publish unknown: %v", err)
	}
}

// Each event's calendar UID is random and unique across installations,
// not its row number; an event from before keeps the UID its invitations
// carried (issue 16, point 8).
func TestCalendarUIDsAreUnique(t *testing.T) {
	t.Parallel()
	s, db := newStoreDB(t)
	ctx := context.Background()
	organizer := mail.Address{Address: "rundbrief@knf.example"}
	seen := map[string]bool{}
	for _, file := range []string{"job-speeddating-2027.yaml", "codeweek-2027.yaml"} {
		e, err := s.Create(ctx, testenv.ExampleEvent(t, file))
		if err != nil {
			t.Fatal(err)
		}
		uid := e.UID(organizer)
		if seen[uid] || strings.HasPrefix(uid, "event-") || !strings.HasSuffix(uid, "@knf.example") || len(uid) < 36 {
			t.Errorf("UID %q: not random and unique", uid)
		}
		seen[uid] = true
		if again, _ := s.Get(ctx, e.Slug); again.UID(organizer) != uid {
			t.Errorf("UID changed on reading: %q, then %q", uid, again.UID(organizer))
		}
	}
	// An event from before the column: the old form, as its invitations had.
	if _, err := db.ExecContext(ctx, `UPDATE events SET uid = '' WHERE slug = 'codeweek-2027'`); err != nil {
		t.Fatal(err)
	}
	old, _ := s.Get(ctx, "codeweek-2027")
	if got, want := old.UID(organizer), fmt.Sprintf("event-%d@knf.example", old.ID); got != want {
		t.Errorf("legacy UID = %q, want %q", got, want)
	}
}
