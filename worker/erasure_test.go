package worker_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// rejectNaming is a relay's refusal that names the address, as Postfix and
// Exchange write it by default.
func rejectNaming(addr string, code int, enhanced smtp.EnhancedCode, why string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: "<" + addr + ">: Recipient address rejected: " + why}
}

// A person whose address the relay refused in words that name it (first
// for now, then for good), on their opt-in mail and on a newsletter, and
// who is then erased, leaves no trace: no table of PostgreSQL (every row,
// every column) and no key of the queue namespace in Redis (tasks, their
// errors, archives) holds their address, its local part, the lower-cased
// address the suppression hash is made of, or their name. Only the keyed
// hash stays on the suppression list.
func TestErasureAfterBounceLeavesNoTrace(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	ctx := context.Background()
	type person struct{ email, name string }
	optIn := person{"Anna.Schmidt@Firma.example", "Anna Schmidt"}
	reader := person{"Bernd.Kowalski@Betrieb.example", "Bernd Kowalski"}

	a, err := e.store.Add(ctx, subscribers.NewSubscriber{Email: optIn.email, Name: optIn.name, Kind: subscribers.KindCompany},
		subscribers.Consent{Source: subscribers.SourceStaff})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.store.Add(ctx, subscribers.NewSubscriber{Email: reader.email, Name: reader.name, Kind: subscribers.KindSchool},
		subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []person{optIn, reader} {
		e.relay.Reply(p.email,
			rejectNaming(p.email, 450, smtp.EnhancedCode{4, 2, 0}, "Greylisted, see http://postgrey.example/"),
			rejectNaming(p.email, 550, smtp.EnhancedCode{5, 1, 1}, "User unknown in local recipient table"))
	}
	e.enqueueOwed(t)
	e.send(t, newsletter())
	e.runUntilEmpty(t, e.worker(t, nil))

	for _, s := range []*subscribers.Subscriber{a, b} {
		got, err := e.store.Get(ctx, s.ID)
		if err != nil || got.Status != subscribers.StatusBounced {
			t.Fatalf("%s is %v (%v), want bounced", s.Email, got, err)
		}
	}
	var details []string
	if err := e.db.SelectContext(ctx, &details, `SELECT detail FROM suppressions ORDER BY detail`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(details, ",") != "550 5.1.1,550 5.1.1" {
		t.Errorf("the suppression list keeps %q, want only the reply codes", details)
	}

	var needles []string
	for _, p := range []person{optIn, reader} {
		needles = append(needles, p.email, strings.ToLower(p.email), p.email[:strings.IndexByte(p.email, '@')], p.name)
	}
	var quoted []string
	for _, n := range needles {
		quoted = append(quoted, regexp.QuoteMeta(strings.ToLower(n)))
	}
	pattern := strings.Join(quoted, "|")
	// The searches must see the people while they are stored.
	if hits := testenv.TablesMatching(t, e.db, pattern); len(hits) == 0 {
		t.Fatal("before erasure no table mentions the people: the search proves nothing")
	}
	for _, s := range []*subscribers.Subscriber{a, b} {
		if err := e.store.Erase(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	if hits := testenv.TablesMatching(t, e.db, pattern); len(hits) > 0 {
		t.Errorf("after erasure, tables still mention the people: %v", hits)
	}
	if hits := testenv.RedisKeysMatching(t, e.redis, e.ns, needles...); len(hits) > 0 {
		t.Errorf("after erasure, Redis keys still mention the people: %v", hits)
	}
	for _, p := range []person{optIn, reader} {
		if ok, _ := e.store.IsSuppressed(ctx, p.email); !ok {
			t.Errorf("%s is not suppressed after erasure", p.email)
		}
	}
}
