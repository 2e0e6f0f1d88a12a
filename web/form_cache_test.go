package web_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

// With the topics watched, the subscription form is rendered once per
// language and kept: a change of a topic that is not announced does not
// show; one that is (the trigger of every change) shows within moments;
// once the watching ends, every request renders the form again.
func TestSubscribeFormKeptUntilTopicsChange(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.server.WatchTopics(ctx, s.dbURL); err != nil {
		t.Fatal(err)
	}
	de, en := s.get("/"), s.get("/?lang=en")
	if de.status != 200 || en.status != 200 || !strings.Contains(de.body, "Berufsausbildung") || !strings.Contains(en.body, "Vocational training") {
		t.Fatalf("the form: %d %d", de.status, en.status)
	}
	if explicit := s.get("/?lang=de"); !strings.Contains(explicit.body, `?lang=de`) || strings.Contains(de.body, `action="/subscribe?lang=de"`) {
		t.Errorf("the form with ?lang=de keeps the language in its links; the one without does not")
	}

	// Changed behind the trigger's back: the kept form stays.
	exec := func(q string) {
		t.Helper()
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`ALTER TABLE topics DISABLE TRIGGER topics_changed`)
	exec(`UPDATE topics SET title_de = 'Ausbildung im Handwerk' WHERE slug = 'ausbildung'`)
	exec(`ALTER TABLE topics ENABLE TRIGGER topics_changed`)
	if got := s.get("/"); got.body != de.body {
		t.Fatal("the form was rendered again without a change announced")
	}

	// Announced: the next request after the notification shows it.
	exec(`UPDATE topics SET title_de = 'Ausbildung und Studium' WHERE slug = 'ausbildung'`)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.get("/").body, "Ausbildung und Studium") {
		if time.Now().After(deadline) {
			t.Fatal("the form does not show the changed topic 5 s after the change")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := s.get("/?lang=en"); got.body != en.body {
		t.Error("the English form changed with a German title")
	}

	cancel()
	time.Sleep(50 * time.Millisecond)
	exec(`ALTER TABLE topics DISABLE TRIGGER topics_changed`)
	exec(`UPDATE topics SET title_de = 'Duale Ausbildung' WHERE slug = 'ausbildung'`)
	if !strings.Contains(s.get("/").body, "Duale Ausbildung") {
		t.Error("after the watching ended, the form is still kept")
	}
}
