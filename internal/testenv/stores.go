package testenv

import (
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// Secret is the secret of the tests' keyrings.
const Secret = "rundbrief-test-secret-0123456789abcdefghij"

// Keyring returns a keyring derived from Secret.
func Keyring(t testing.TB) *subscribers.Keyring {
	t.Helper()
	keys, err := subscribers.NewKeyring([]byte(Secret))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// Stores are the three stores on a database of the test's own.
type Stores struct {
	DB          *sqlx.DB
	Keys        *subscribers.Keyring
	Subscribers *subscribers.Store
	Events      *events.Store
	Campaigns   *campaigns.Store
}

// NewStores opens the stores on a fresh database (see Database).
func NewStores(t testing.TB) *Stores {
	t.Helper()
	db, _ := Database(t)
	s := &Stores{DB: db, Keys: Keyring(t), Events: events.NewStore(db)}
	s.Subscribers = subscribers.NewStore(db, s.Keys)
	s.Campaigns = campaigns.NewStore(db, s.Subscribers, s.Events)
	return s
}

// PublishedEvent creates and publishes the event of an example file.
func (s *Stores) PublishedEvent(t testing.TB, file string) *events.Event {
	t.Helper()
	e, err := s.Events.Create(t.Context(), ExampleEvent(t, file))
	if err != nil {
		t.Fatal(err)
	}
	if e, err = s.Events.Publish(t.Context(), e.Slug); err != nil {
		t.Fatal(err)
	}
	return e
}

// Renderer returns the mail templates with the KNF's brand, its links
// under base, and opt-in links valid for a week.
func Renderer(t testing.TB, base string) *templates.Renderer {
	t.Helper()
	r, err := templates.NewRenderer(templates.Brand{
		Name: "Netzwerkstelle Fachkräftesicherung Nordhausen", Link: base,
		Impressum: "Landratsamt Nordhausen · Behringstraße 3 · 99734 Nordhausen",
	}, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
