package subscribers_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// An audience read in pages (EachMatchAfter) is the audience read at once:
// each page goes on after the last ID of the one before, counts the
// suppressed subscribers it reads, and says whether more may follow.
func TestEachMatchAfterPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := newStore(t)
	db.MustExec(`INSERT INTO subscribers (email, kind, status, confirmed_at)
		SELECT 'person' || g || '@example.org', CASE WHEN g % 3 = 0 THEN 'school' ELSE 'family' END, 'confirmed', now()
		FROM generate_series(1, 20) AS g`)
	for _, g := range []int{2, 3, 10} {
		if err := s.Suppress(ctx, fmt.Sprintf("person%d@example.org", g), subscribers.SuppressedByStaff); err != nil {
			t.Fatal(err)
		}
	}
	audience := subscribers.Audience{Kinds: []subscribers.Kind{subscribers.KindFamily}}
	var all []int64
	if err := s.EachMatch(ctx, audience, func(m subscribers.Match) error {
		all = append(all, m.SubscriberID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(all) != 12 { // 14 families, 2 of them suppressed
		t.Fatalf("EachMatch: %d subscribers, want 12", len(all))
	}
	for _, limit := range []int{1, 3, 5, 13, 14, 100} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			var got []int64
			var pages []bool
			after := int64(0)
			for more := true; more; {
				var err error
				after, more, err = s.EachMatchAfter(ctx, audience, after, limit, func(m subscribers.Match) error {
					got = append(got, m.SubscriberID)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if pages = append(pages, more); len(pages) > 20 {
					t.Fatal("no end of pages")
				}
			}
			if !slices.Equal(got, all) {
				t.Errorf("pages of %d gave %v, want %v", limit, got, all)
			}
			// 14 families read in pages of limit: a last page that is
			// full says more, and the one after it is empty.
			if want := 14/limit + 1; len(pages) != want {
				t.Errorf("%d pages of %d, want %d", len(pages), limit, want)
			}
		})
	}
}

// An audience with topics is read as a row per subscriber and topic, and
// in pages of whole subscribers: each page but the last has limit of
// them, however many topics each has. Read in pages of any size, it is
// the audience read at once, with each subscriber's topics sorted.
func TestEachMatchAfterPagesWithTopics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := newStore(t)
	db.MustExec(`INSERT INTO subscribers (email, kind, status, confirmed_at)
		SELECT 'person' || g || '@example.org', 'family', 'confirmed', now()
		FROM generate_series(1, 12) AS g`)
	// Topics by person: 1–4 the three the audience names (one of them
	// as the event's "all events"), 5–8 one of them, 9–10 none, 11–12
	// two; person 6 is suppressed.
	db.MustExec(`INSERT INTO subscriber_topics (subscriber_id, topic)
		SELECT s.id, t FROM subscribers s,
		       unnest(CASE
		           WHEN s.email ~ '^person([1-4])@' THEN ARRAY['veranstaltungen', 'ausbildung', 'jugend', 'oepnv']
		           WHEN s.email ~ '^person([5-8])@' THEN ARRAY['jugend', 'oepnv']
		           WHEN s.email ~ '^person(9|10)@' THEN ARRAY['oepnv']
		           ELSE ARRAY['jugend', 'ausbildung'] END) AS t`)
	if err := s.Suppress(ctx, "person6@example.org", subscribers.SuppressedByStaff); err != nil {
		t.Fatal(err)
	}
	audience := subscribers.Audience{Topics: []string{"jugend", "ausbildung"}, Event: true}
	type match struct {
		email  string
		topics string
	}
	var all []match
	if err := s.EachMatch(ctx, audience, func(m subscribers.Match) error {
		all = append(all, match{m.Email, fmt.Sprint(m.Topics)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []match{
		{"person1@example.org", "[ausbildung jugend veranstaltungen]"},
		{"person2@example.org", "[ausbildung jugend veranstaltungen]"},
		{"person3@example.org", "[ausbildung jugend veranstaltungen]"},
		{"person4@example.org", "[ausbildung jugend veranstaltungen]"},
		{"person5@example.org", "[jugend]"},
		{"person7@example.org", "[jugend]"},
		{"person8@example.org", "[jugend]"},
		{"person11@example.org", "[ausbildung jugend]"},
		{"person12@example.org", "[ausbildung jugend]"},
	}
	if !slices.Equal(all, want) {
		t.Fatalf("EachMatch gave\n%v\nwant\n%v", all, want)
	}
	for _, limit := range []int{1, 2, 3, 4, 5, 9, 10, 100} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			var got []match
			pages := 0
			for after, more := int64(0), true; more; pages++ {
				if pages > 20 {
					t.Fatal("no end of pages")
				}
				var err error
				after, more, err = s.EachMatchAfter(ctx, audience, after, limit, func(m subscribers.Match) error {
					got = append(got, match{m.Email, fmt.Sprint(m.Topics)})
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages of %d gave\n%v\nwant\n%v", limit, got, want)
			}
			// 10 subscribers read (person 6 suppressed), in whole pages
			// of limit: a last page that is full says more, and the one
			// after it is empty.
			if want := 10/limit + 1; pages != want {
				t.Errorf("%d pages of %d, want %d", pages, limit, want)
			}
		})
	}
}
