package compose_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// What a recipient gets, the campaign's bulk message filled in for them
// (Letter), is the mail its preview shows them (Message): the same
// headers, the same text and HTML, the same calendar file.
func TestLetterIsTheMessage(t *testing.T) {
	t.Parallel()
	f := testenv.NewStores(t)
	ctx := context.Background()
	ev := f.PublishedEvent(t, "talent-campus-2027.yaml")
	inv, err := f.Campaigns.Create(ctx, campaigns.Spec{Kind: campaigns.KindInvitation, Event: ev.Slug})
	if err != nil {
		t.Fatal(err)
	}
	nl, err := f.Campaigns.Create(ctx, campaigns.Spec{Kind: campaigns.KindNewsletter,
		Subject: "Neues aus der Netzwerkstelle", Body: "# Hallo\n\nZeile mit = und\n.\neinem Punkt am Anfang.",
		SubjectEN: "News", BodyEN: "Hello *there*."})
	if err != nil {
		t.Fatal(err)
	}
	comp := composer(t)
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	contacts := []*subscribers.Contact{
		{ID: 7, Email: "j.mueller@metallbau.example", Name: `Jörg "<b>Müller</b>" & Söhne =?utf-8?q?x?=`, Language: i18n.German},
		{ID: 8, Email: "anna@example.org", Name: "", Language: i18n.English},
		{ID: 9, Email: "lang@example.org", Name: "Maximiliane Alexandra von Hohenstein-Lüdenscheidt zu Nordhausen", Language: i18n.German},
	}
	for _, camp := range []*campaigns.Campaign{inv, nl} {
		facts, err := f.Campaigns.Facts(ctx, camp)
		if err != nil {
			t.Fatal(err)
		}
		p, err := comp.Prepare(camp, facts, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range contacts {
			m := p.Message(c, now)
			var whole bytes.Buffer
			if _, err := m.WriteTo(&whole); err != nil {
				t.Fatal(err)
			}
			b, l := p.Letter(c, now)
			l.MessageID = m.MessageID
			var copy bytes.Buffer
			if _, err := b.WriteTo(&copy, l); err != nil {
				t.Fatal(err)
			}
			got, want := smtptest.Message{Data: copy.Bytes()}, smtptest.Message{Data: whole.Bytes()}
			for _, k := range []string{"From", "To", "Subject", "Date", "Message-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Mime-Version",
				"Auto-Submitted", "X-Auto-Response-Suppress", "X-Mailer"} {
				if g, w := got.Header().Get(k), want.Header().Get(k); g != w {
					t.Errorf("%s to %s: %s: got %q, want %q", camp.Kind, c.Email, k, g, w)
				}
			}
			// Campaign mail asks out-of-office replies not to come, and
			// names its program once (issue 16, point 8).
			if got.Header().Get("X-Auto-Response-Suppress") != "OOF, AutoReply" || got.Header().Get("Auto-Submitted") != "auto-generated" ||
				got.Header().Get("User-Agent") != "" || got.Header().Get("X-Mailer") != "rundbrief" {
				t.Errorf("%s to %s: headers %v", camp.Kind, c.Email, got.Header())
			}
			if g, w := got.Text(), want.Text(); g != w || g == "" {
				t.Errorf("%s to %s: text differs:\ngot  %q\nwant %q", camp.Kind, c.Email, g, w)
			}
			if g, w := got.HTML(), want.HTML(); g != w || g == "" {
				t.Errorf("%s to %s: HTML differs", camp.Kind, c.Email)
			}
			gi, gok := got.Part("text/calendar")
			wi, wok := want.Part("text/calendar")
			if gok != wok || !bytes.Equal(gi.Body, wi.Body) || (camp.Kind == campaigns.KindInvitation) != gok {
				t.Errorf("%s to %s: calendar file differs (copy has one: %v, preview: %v)", camp.Kind, c.Email, gok, wok)
			}
		}
	}
}
