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
