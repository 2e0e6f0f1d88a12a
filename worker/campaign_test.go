package worker_test

import (
	"context"
	"fmt"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/internal/icstest"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/worker"
)

// campaignEnv is env with events and campaigns, and a worker that sends
// campaigns.
type campaignEnv struct {
	*env
	events    *events.Store
	campaigns *campaigns.Store
}

func setupCampaigns(t testing.TB, opts smtptest.Options) *campaignEnv {
	t.Helper()
	e := setupWith(t, opts)
	ce := &campaignEnv{env: e, events: events.NewStore(e.db)}
	ce.campaigns = campaigns.NewStore(e.db, e.store, ce.events)
	ce.campaigns.BatchSize = 20
	e.cfg.Campaigns = ce.campaigns
	return ce
}

// publish creates and publishes the event of an example file.
func (e *campaignEnv) publish(t testing.TB, file string) *events.Event {
	t.Helper()
	spec := testenv.ExampleEvent(t, file)
	ctx := context.Background()
	if _, err := e.events.Create(ctx, spec); err != nil {
		t.Fatal(err)
	}
	ev, err := e.events.Publish(ctx, spec.Slug)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// group is a number of subscribers alike, made by import.
type group struct {
	prefix    string
	n         int
	kind      subscribers.Kind
	topics    []string
	confirmed bool
	then      func(t testing.TB, e *campaignEnv, s *subscribers.Subscriber) // e.g. unsubscribe
}

// populate imports the groups and returns the addresses of each by prefix.
func (e *campaignEnv) populate(t testing.TB, groups ...group) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	for _, g := range groups {
		rows := make([]subscribers.ImportRow, g.n)
		for i := range rows {
			lang := i18n.German
			if i%3 == 2 {
				lang = i18n.English
			}
			email := fmt.Sprintf("%s-%04d@example.org", g.prefix, i)
			rows[i] = subscribers.ImportRow{Line: i + 2, NewSubscriber: subscribers.NewSubscriber{
				Email: email, Name: fmt.Sprintf("Person %d", i), Kind: g.kind, Language: lang, Topics: g.topics,
			}}
			out[g.prefix] = append(out[g.prefix], email)
		}
		c := subscribers.Consent{Source: subscribers.SourceImport}
		if g.confirmed {
			c.Confirmed, c.Note = true, "Teilnahmeliste Regionalkonferenz 2026, Einwilligung schriftlich"
		}
		if _, err := e.store.Import(ctx, subscribers.RowsOf(rows), c, false); err != nil {
			t.Fatal(err)
		}
		if g.then != nil {
			for _, email := range out[g.prefix] {
				s, err := e.store.GetByEmail(ctx, email)
				if err != nil {
					t.Fatal(err)
				}
				g.then(t, e, s)
			}
		}
	}
	return out
}

func unsubscribe(t testing.TB, e *campaignEnv, s *subscribers.Subscriber) {
	t.Helper()
	if _, err := e.store.Unsubscribe(context.Background(), s.ID, subscribers.Consent{Source: subscribers.SourceWeb}); err != nil {
		t.Fatal(err)
	}
}

// send creates a campaign from spec, starts it and queues its batches.
func (e *campaignEnv) send(t testing.TB, spec campaigns.Spec) *campaigns.Plan {
	t.Helper()
	ctx := context.Background()
	c, err := e.campaigns.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := e.campaigns.Start(ctx, c.ID, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	client := worker.NewClient(e.redis, e.ns)
	defer client.Close()
	if _, err := client.EnqueueBatches(ctx, worker.PlannedBatches(plan)); err != nil {
		t.Fatal(err)
	}
	return plan
}

func (e *campaignEnv) runUntilEmpty(t testing.TB, w *worker.Worker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := w.RunUntilEmpty(ctx, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

// byRecipient groups the relay's messages whose subject starts with prefix
// by recipient.
func byRecipient(msgs []smtptest.Message, prefix string) map[string][]smtptest.Message {
	out := map[string][]smtptest.Message{}
	dec := new(mime.WordDecoder)
	for _, m := range msgs {
		subject, _ := dec.DecodeHeader(m.Header().Get("Subject"))
		if !strings.HasPrefix(subject, prefix) {
			continue
		}
		for _, to := range m.To {
			out[to] = append(out[to], m)
		}
	}
	return out
}

// An event from a YAML file, invited to an audience of 380 mixed
// subscribers: exactly the 180 confirmed ones of the right kind and topic
// get one invitation each, with a calendar file a second parser reads.
func TestInvitationReachesExactlyItsAudience(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	ev := e.publish(t, "job-speeddating-2027.yaml") // companies and families; fachkraefte or ausbildung
	ctx := context.Background()
	who := e.populate(t,
		group{prefix: "firma", n: 120, kind: subscribers.KindCompany, topics: []string{"ausbildung"}, confirmed: true},
		group{prefix: "familie", n: 60, kind: subscribers.KindFamily, topics: []string{"fachkraefte", "jugend"}, confirmed: true},
		group{prefix: "offen", n: 40, kind: subscribers.KindCompany, topics: []string{"ausbildung"}},
		group{prefix: "abgemeldet", n: 30, kind: subscribers.KindCompany, topics: []string{"ausbildung"}, confirmed: true, then: unsubscribe},
		group{prefix: "gesperrt", n: 20, kind: subscribers.KindFamily, topics: []string{"ausbildung"}, confirmed: true,
			then: func(t testing.TB, e *campaignEnv, s *subscribers.Subscriber) {
				if err := e.store.Suppress(ctx, s.Email, subscribers.SuppressedByStaff); err != nil {
					t.Fatal(err)
				}
			}},
		group{prefix: "unzustellbar", n: 10, kind: subscribers.KindCompany, topics: []string{"fachkraefte"}, confirmed: true,
			then: func(t testing.TB, e *campaignEnv, s *subscribers.Subscriber) {
				if err := e.store.Bounce(ctx, s.ID, "550 5.1.1 unknown user"); err != nil {
					t.Fatal(err)
				}
			}},
		group{prefix: "schule", n: 50, kind: subscribers.KindSchool, topics: []string{"ausbildung"}, confirmed: true},
		group{prefix: "anderes-thema", n: 40, kind: subscribers.KindCompany, topics: []string{"jugend", "oepnv"}, confirmed: true},
		group{prefix: "ohne-thema", n: 10, kind: subscribers.KindCompany, confirmed: true},
	)
	want := append(slices.Clone(who["firma"]), who["familie"]...)

	plan := e.send(t, campaigns.Spec{Kind: campaigns.KindInvitation, Event: ev.Slug})
	if plan.Recipients != len(want) {
		t.Fatalf("planned %d deliveries, want %d", plan.Recipients, len(want))
	}
	e.runUntilEmpty(t, e.worker(t, nil))

	got := byRecipient(e.relay.Messages(), "")
	invited := 0
	for addr, msgs := range got {
		var invitations []smtptest.Message
		for _, m := range msgs {
			if _, ok := m.Part("text/calendar"); ok {
				invitations = append(invitations, m)
			}
		}
		if len(invitations) == 0 {
			continue
		}
		invited++
		if !slices.Contains(want, addr) {
			t.Errorf("%s got an invitation and is not in the audience", addr)
			continue
		}
		if len(invitations) != 1 {
			t.Errorf("%s got %d invitations, want 1", addr, len(invitations))
		}
		checkInvitation(t, invitations[0], ev)
	}
	if invited != len(want) {
		t.Errorf("%d addresses got an invitation, want %d", invited, len(want))
	}
	p, err := e.campaigns.Progress(ctx, plan.Campaign.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != len(want) || p.Sent != len(want) {
		t.Errorf("progress %+v, want %d sent", p, len(want))
	}
	if c, _ := e.campaigns.Get(ctx, plan.Campaign.ID); c.Status != campaigns.StatusDone || c.FinishedAt == nil {
		t.Errorf("campaign is %s, want done", c.Status)
	}
}

// isEnglish says whether populate made addr an English subscriber (every
// third).
func isEnglish(addr string) bool {
	var prefix string
	var i int
	fmt.Sscanf(strings.ReplaceAll(strings.Split(addr, "@")[0], "-", " "), "%s %d", &prefix, &i)
	return i%3 == 2
}

func checkInvitation(t testing.TB, m smtptest.Message, ev *events.Event) {
	t.Helper()
	h := m.Header()
	subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	en := isEnglish(m.To[0])
	wantSubject := "Einladung: " + ev.Title
	if en {
		wantSubject = "Invitation: " + ev.TitleEN
	}
	if subject != wantSubject {
		t.Errorf("%s: subject %q, want %q", m.To[0], subject, wantSubject)
	}
	if h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(h.Get("List-Unsubscribe"), baseURL+"/unsubscribe/") {
		t.Errorf("%s: list headers %q %q", m.To[0], h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post"))
	}
	if !strings.Contains(m.Text(), baseURL+"/events/"+ev.Slug+"/register/") {
		t.Errorf("%s: no registration link in the text part", m.To[0])
	}
	part, _ := m.Part("text/calendar")
	mt, params, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
	if err != nil || mt != "text/calendar" || params["method"] != "PUBLISH" || !strings.EqualFold(params["charset"], "UTF-8") {
		t.Errorf("%s: calendar part has Content-Type %q", m.To[0], part.Header.Get("Content-Type"))
	}
	cal, vevent := icstest.Parse(t, part.Body)
	if got := icstest.Text(t, cal.Component, "METHOD"); got != "PUBLISH" {
		t.Errorf("METHOD %q", got)
	}
	if got, want := icstest.Text(t, vevent.Component, "UID"), ev.UID(mail.Address{Address: "rundbrief@knf.example"}); got != want {
		t.Errorf("UID %q, want %q", got, want)
	}
	if start, err := vevent.DateTimeStart(time.UTC); err != nil || !start.Equal(ev.Start) {
		t.Errorf("DTSTART %v (%v), want %v", start, err, ev.Start)
	}
}
