package web_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
)

// The archive shows the sent newsletters staff chose for it, newest
// first, each as a page with its pictures and nothing personal; drafts,
// campaigns kept out and unknown numbers are 404 (issue 17, point 6).
func TestNewsletterArchive(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	ctx := context.Background()
	camps := campaigns.NewStore(s.db, s.store, events.NewStore(s.db))
	photo, err := os.ReadFile("../examples/bilder/sommerferien.jpg")
	if err != nil {
		t.Fatal(err)
	}
	pic, err := campaigns.NewPicture("sommer.jpg", "Sommerferien", photo, 1)
	if err != nil {
		t.Fatal(err)
	}
	no := false
	create := func(subject, body string, archive *bool, files ...campaigns.File) *campaigns.Campaign {
		c, err := camps.Create(ctx, campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: subject, Body: body, Archive: archive, Files: files})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sent := func(c *campaigns.Campaign, daysAgo int) {
		if _, err := s.db.Exec(`UPDATE campaigns SET status = 'done', started_at = now() - make_interval(days => $2) WHERE id = $1`, c.ID, daysAgo); err != nil {
			t.Fatal(err)
		}
	}
	july := create("Rundbrief Juli 2027", "Liebe Partnerinnen und Partner,\n\nder Talent-Campus war ein Erfolg.\n\n![Sommerferien](cid:bild-1@rundbrief)", nil, pic)
	sent(july, 1)
	june := create("Rundbrief Juni 2027", "Neues im Juni.", nil)
	sent(june, 30)
	internal := create("Nur für Partner", "Intern.", &no)
	sent(internal, 2)
	draft := create("Rundbrief August 2027", "Noch nicht fertig.", nil)

	r := s.get("/rundbrief")
	if r.status != 200 || !strings.Contains(r.body, "<h1>Rundbrief-Archiv</h1>") {
		t.Fatalf("/rundbrief: %d\n%s", r.status, r.body)
	}
	if i, j := strings.Index(r.body, "Rundbrief Juli 2027"), strings.Index(r.body, "Rundbrief Juni 2027"); i < 0 || j < 0 || i > j {
		t.Errorf("the archive does not list July before June:\n%s", r.body)
	}
	for _, not := range []string{"Nur für Partner", "Rundbrief August 2027"} {
		if strings.Contains(r.body, not) {
			t.Errorf("the archive lists %q", not)
		}
	}
	page := s.get("/rundbrief/" + itoa(july.ID))
	if page.status != 200 || !strings.Contains(page.body, "der Talent-Campus war ein Erfolg.") || strings.Contains(page.body, "Guten Tag") ||
		!strings.Contains(page.body, `<img src="/rundbrief/`+itoa(july.ID)+`/bild/sommer.jpg" alt="Sommerferien" width="520"`) {
		t.Errorf("the newsletter's page:\n%s", page.body)
	}
	img := s.get("/rundbrief/" + itoa(july.ID) + "/bild/sommer.jpg")
	if img.status != 200 || img.header.Get("Content-Type") != "image/jpeg" || !bytes.Equal([]byte(img.body), pic.Data) {
		t.Errorf("the picture: %d %s, %d bytes", img.status, img.header.Get("Content-Type"), len(img.body))
	}
	for _, path := range []string{"/rundbrief/" + itoa(internal.ID), "/rundbrief/" + itoa(draft.ID), "/rundbrief/999", "/rundbrief/x",
		"/rundbrief/" + itoa(internal.ID) + "/bild/sommer.jpg", "/rundbrief/" + itoa(july.ID) + "/bild/andere.jpg"} {
		if r := s.get(path); r.status != 404 {
			t.Errorf("%s: %d, want 404", path, r.status)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
