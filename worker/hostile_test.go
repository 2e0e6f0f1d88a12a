package worker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/internal/htmltest"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// Hostile text in a subscriber's name and organisation and in an event's
// title, place and Markdown reaches the mail as text: no script, image,
// event handler or javascript: link in the HTML part, and one line of
// subject.
func TestHostileTextInMail(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	ctx := context.Background()
	spec := testenv.ExampleEvent(t, "job-speeddating-2027.yaml")
	spec.Title = `Job-Speeddating <script>alert("titel")</script>`
	spec.PlaceName = `Aula "><img src=x onerror=alert(1)>`
	spec.Description = "Hallo <svg onload=alert(2)>\n\n[Anmeldung](javascript:alert(3)) ![Pixel](https://tracker.example/p.gif)"
	if _, err := e.events.Create(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := e.events.Publish(ctx, spec.Slug); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []i18n.Lang{i18n.German, i18n.English} {
		if _, err := e.store.Add(ctx, subscribers.NewSubscriber{
			Email: "angriff-" + string(lang) + "@example.org", Name: `<script>alert("name")</script> Anna`, Organisation: `"><img src=x onerror=alert(4)>`,
			Kind: subscribers.KindCompany, Topics: []string{"ausbildung"}, Language: lang,
		}, subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Test"}); err != nil {
			t.Fatal(err)
		}
	}
	e.send(t, campaigns.Spec{Kind: campaigns.KindInvitation, Event: spec.Slug})
	e.runUntilEmpty(t, e.worker(t, nil))

	msgs := e.relay.Messages()
	if len(msgs) < 2 {
		t.Fatalf("%d mails, want the two invitations", len(msgs))
	}
	for _, m := range msgs {
		if subj := m.Header()["Subject"]; len(subj) != 1 || strings.ContainsAny(subj[0], "\r\n") {
			t.Errorf("subject %q", subj)
		}
		if bad := htmltest.Injected(m.HTML(), "form", "input"); bad != "" {
			t.Errorf("mail to %s has %s in its HTML", m.To[0], bad)
		}
		if !strings.Contains(m.HTML(), "&lt;script&gt;") {
			t.Errorf("mail to %s does not show the hostile title or name as text", m.To[0])
		}
	}
}
