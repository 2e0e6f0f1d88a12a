package faults

import (
	"fmt"
	"hash/fnv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
)

const newsletter = "Rundbrief März"

// A worker killed with SIGKILL three times in a 10,000-recipient campaign,
// and started again each time: everyone gets the newsletter, and the
// duplicates are at most the deliveries in flight (claimed, not recorded)
// at each kill. A delivery log that moved on when it handed out work, not
// when the relay took it, would lose those people instead.
func TestWorkerKilledThreeTimes(t *testing.T) {
	t.Parallel()
	const n = 10000
	s := newSystem(t, options{})
	addrs := s.subscribe("person", n)
	id := s.sendNewsletter()

	w, since := s.startWorker(), time.Now()
	all := []*workerProc{w}
	var inFlight []int
	for _, at := range []int{2000, 5000, 8000} {
		s.waitReceived(at, 2*time.Minute)
		w.kill()
		inFlight = append(inFlight, s.inFlight(id, since))
		w, since = s.startWorker(), time.Now()
		all = append(all, w)
	}
	lastKill := time.Now()
	s.waitDone(id, 3*time.Minute, w)
	recovered := time.Since(lastKill)

	doubles, missing := onceEach(s.received(newsletter), addrs)
	bound := 0
	for _, n := range inFlight {
		bound += n
	}
	if missing > 0 {
		t.Errorf("%d of %d recipients got no mail", missing, n)
	}
	if doubles > bound {
		t.Errorf("%d duplicates, more than the %d deliveries in flight at the kills %v", doubles, bound, inFlight)
	}
	// A worker records every ten outcomes, so at most ten mails per
	// connection (RUNDBRIEF_CONCURRENCY=4) go out again after a kill.
	if limit := len(inFlight) * 4 * 10; doubles > limit {
		t.Errorf("%d duplicates, more than %d: ten per connection and kill", doubles, limit)
	}
	if d := s.deliveries(id); d["sent"] != n {
		t.Errorf("delivery log: %v, want %d sent", d, n)
	}
	s.checkLogs(all...)
	t.Logf("3 kills: in flight %v (bound %d), duplicates %d, missing %d; done %.1fs after the last kill",
		inFlight, bound, doubles, missing, recovered.Seconds())
}

// fails reports whether the relay answers attempt n to to with 451: for
// 30% of all attempts, the same in every run.
func fails(to string, n int) bool {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s#%d", strings.ToLower(to), n)
	return h.Sum32()%100 < 30
}

// A relay that answers 451 to 30% of the messages: in the end everyone
// has the newsletter once, and the delivery log counts every retry.
func TestRelayRefusesForNow(t *testing.T) {
	t.Parallel()
	const n = 3000
	var refused atomic.Int64
	s := newSystem(t, options{relay: smtptest.Options{OnRcpt: func(to string, k int) *smtp.SMTPError {
		if fails(to, k) {
			refused.Add(1)
			return smtptest.Temporary()
		}
		return nil
	}}})
	addrs := s.subscribe("person", n)
	id := s.sendNewsletter()
	w := s.startWorker()
	took := s.waitDone(id, 3*time.Minute, w)

	doubles, missing := s.wantEachOnce(id, addrs, 0)
	if got, want := s.retries(id), int(refused.Load()); got != want || want < n/5 {
		t.Errorf("the delivery log counts %d retries, the relay refused %d times (of about %d attempts)", got, want, n*10/7)
	}
	s.checkLogs(w)
	t.Logf("451 to 30%%: %d refusals, %d retries in the delivery log; %d recipients, %d duplicates, %d missing; %.1fs", refused.Load(), s.retries(id), n, doubles, missing, took.Seconds())
}

// A relay that refuses some mailboxes for good (550 5.1.1): their
// deliveries are bounced, the subscribers bounced and suppressed and never
// tried again, not even by the next campaign; everyone else gets mail.
func TestRelayRefusesMailboxes(t *testing.T) {
	t.Parallel()
	const n = 1000
	unknown := func(to string) bool { return strings.HasSuffix(strings.Split(to, "@")[0], "7") } // every tenth
	s := newSystem(t, options{relay: smtptest.Options{OnRcpt: func(to string, _ int) *smtp.SMTPError {
		if unknown(to) {
			return smtptest.Unknown()
		}
		return nil
	}}})
	addrs := s.subscribe("person", n)
	var good, bad []string
	for _, a := range addrs {
		if unknown(a) {
			bad = append(bad, a)
		} else {
			good = append(good, a)
		}
	}
	id := s.sendNewsletter()
	w := s.startWorker()
	s.waitDone(id, 2*time.Minute, w)

	if doubles, missing := onceEach(s.received(newsletter), good); doubles != 0 || missing != 0 {
		t.Errorf("%d duplicates, %d missing among the %d good addresses", doubles, missing, len(good))
	}
	if d := s.deliveries(id); d["bounced"] != len(bad) || d["sent"] != len(good) {
		t.Errorf("delivery log: %v, want %d bounced and %d sent", d, len(bad), len(good))
	}
	var bounced, suppressed int
	s.db.Get(&bounced, `SELECT count(*) FROM subscribers WHERE status = 'bounced'`)
	s.db.Get(&suppressed, `SELECT count(*) FROM suppressions`)
	if bounced != len(bad) || suppressed != len(bad) {
		t.Errorf("%d subscribers bounced and %d addresses suppressed, want %d each", bounced, suppressed, len(bad))
	}
	second := s.sendNewsletter()
	s.waitDone(second, 2*time.Minute, w)
	for _, a := range bad {
		if got := s.relay.RcptCount(a); got != 1 {
			t.Errorf("%s was tried %d times, want once: a refused mailbox is not tried again", a, got)
			break
		}
	}
	if d := s.deliveries(second); d["sent"] != len(good) || len(d) != 1 {
		t.Errorf("second campaign: %v, want %d sent and no one else", d, len(good))
	}
	s.checkLogs(w)
	t.Logf("550 5.1.1 for %d of %d: bounced and suppressed after one try each; the next campaign left them out", len(bad), n)
}

// A relay that is down for 30 seconds in the middle of a campaign: the
// worker backs off, and finishes once the relay is back.
func TestRelayDown(t *testing.T) {
	t.Parallel()
	const n = 3000
	s, addrs, id, w := startNewsletter(t, n, options{env: []string{"RUNDBRIEF_RETRY_DELAY=1s"}})
	s.waitReceived(n*3/10, 2*time.Minute)
	s.relay.Down()
	time.Sleep(30 * time.Second)
	if err := s.relay.Up(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	s.waitDone(id, 3*time.Minute, w)

	// A relay switched off between taking a message and saying so leaves
	// the worker without an answer: it sends that one again (RFC 5321,
	// section 6.1). That is at most one message per connection.
	doubles, missing := s.wantEachOnce(id, addrs, 4)
	retries := s.retries(id)
	if retries == 0 {
		t.Error("no retries counted while the relay was down")
	}
	s.checkLogs(w)
	t.Logf("relay down 30s after %d mails: %d retries, done %.1fs after it came back; %d recipients, %d duplicates, %d missing", n*3/10, retries, time.Since(up).Seconds(), n, doubles, missing)
}

// Redis loses everything (FLUSHALL) in the middle of a campaign: the
// worker re-creates the missing tasks from the delivery log, and nobody
// gets the newsletter twice.
func TestRedisFlushed(t *testing.T) {
	t.Parallel()
	const n = 3000
	s, addrs, id, w := startNewsletter(t, n, options{})
	s.waitReceived(n*3/10, 2*time.Minute)
	s.redis.flushAll(t)
	flushed := time.Now()
	s.waitDone(id, 2*time.Minute, w)

	doubles, missing := s.wantEachOnce(id, addrs, 0)
	if !strings.Contains(w.log.String(), `msg="sweep step queued tasks" step="campaign batches"`) {
		t.Errorf("the worker's sweep did not say it queued the lost batches again:\n%s", w.log)
	}
	s.checkLogs(w)
	t.Logf("FLUSHALL after %d mails: done %.1fs later; %d recipients, %d duplicates, %d missing", n*3/10, time.Since(flushed).Seconds(), n, doubles, missing)
}

// PostgreSQL stops (sessions ended, transactions rolled back) and comes
// back five seconds later: the worker keeps running and finishes the
// campaign, and the outcomes it held meanwhile are recorded, not sent
// again.
func TestPostgresRestarts(t *testing.T) {
	t.Parallel()
	const n = 3000
	pg := startPostgres(t)
	s, addrs, id, w := startNewsletter(t, n, options{databaseURL: pg.url("rundbrief"), env: []string{"RUNDBRIEF_LEASE=30s", "RUNDBRIEF_RETRY_DELAY=1s"}})
	s.waitReceived(n*3/10, 2*time.Minute)
	pg.stop(t)
	time.Sleep(5 * time.Second)
	pg.start(t)
	back := time.Now()
	s.waitDone(id, 3*time.Minute, w)

	if !w.alive() {
		t.Fatalf("the worker exited:\n%s", w.log)
	}
	doubles, missing := s.wantEachOnce(id, addrs, 0)
	s.checkLogs(w)
	t.Logf("PostgreSQL down 5s after %d mails: worker kept running, done %.1fs after it came back; %d recipients, %d duplicates, %d missing", n*3/10, time.Since(back).Seconds(), n, doubles, missing)
}

// A reminder that falls due while every worker is down goes out once when
// workers come back — here two at the same moment, and a third later.
func TestReminderWhileWorkersDown(t *testing.T) {
	t.Parallel()
	const n = 300
	s := newSystem(t, options{})
	addrs := s.subscribe("person", n)
	start := func(d time.Duration) string { return time.Now().Add(d).In(events.Berlin()).Format("2006-01-02 15:04") }
	s.cli("events", "create", "--slug", "fachkraefteforum-2027", "--title", "Fachkräfteforum Nordthüringen",
		"--start", start(8*24*time.Hour), "--end", start(8*24*time.Hour+3*time.Hour), "--place", "Ratssaal der Stadtbibliothek", "--kinds", "Unternehmen", "--reminders", "7d")
	s.cli("events", "publish", "fachkraefteforum-2027")

	// A worker plans the reminder for a day from now, then all stop.
	w := s.startWorker()
	deadline := time.Now().Add(time.Minute)
	for {
		var planned int
		s.db.Get(&planned, `SELECT count(*) FROM reminders WHERE status = 'pending'`)
		if planned == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reminder planned:\n%s", w.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.stop(t)
	// While no worker runs, the event moves closer: the reminder is due.
	s.cli("events", "update", "fachkraefteforum-2027", "--start", start(7*24*time.Hour-time.Hour))

	a, b := s.startWorker(), s.startWorker()
	s.waitReceived(n, time.Minute)
	time.Sleep(5 * time.Second) // more than two requeue rounds
	a.stop(t)
	b.stop(t)
	c := s.startWorker()
	time.Sleep(5 * time.Second)
	c.stop(t)

	got := map[string]int{}
	for _, m := range s.relay.Messages() {
		if subj := decodedSubject(m); strings.HasPrefix(subj, "Erinnerung: ") || strings.HasPrefix(subj, "Reminder: ") {
			got[strings.ToLower(m.To[0])]++
		}
	}
	if doubles, missing := onceEach(got, addrs); doubles != 0 || missing != 0 {
		t.Errorf("reminder: %d duplicates, %d missing; want each of %d once", doubles, missing, n)
	}
	var campaigns int
	s.db.Get(&campaigns, `SELECT count(*) FROM campaigns WHERE kind = 'reminder'`)
	if campaigns != 1 {
		t.Errorf("%d reminder campaigns, want 1", campaigns)
	}
	s.checkLogs(w, a, b, c)
	t.Logf("reminder due while all workers were down: sent once to each of %d when two came back at once", n)
}

// Staff pause a campaign three times while it is being sent and resume it
// each time: everyone gets the newsletter once.
func TestPauseResumeMidCampaign(t *testing.T) {
	t.Parallel()
	const n = 3000
	// At most 500 mails a second, so that the last pause comes before the
	// end however fast the machine sends.
	s, addrs, id, w := startNewsletter(t, n, options{env: []string{"RUNDBRIEF_RATE=500"}})
	for _, at := range []int{600, 1400, 2200} {
		s.waitReceived(at, 2*time.Minute)
		s.cli("campaigns", "pause", fmt.Sprint(id))
		time.Sleep(time.Second)
		s.cli("campaigns", "resume", fmt.Sprint(id))
	}
	took := s.waitDone(id, 2*time.Minute, w)

	doubles, missing := s.wantEachOnce(id, addrs, 0)
	s.checkLogs(w)
	t.Logf("paused and resumed 3 times: %d recipients, %d duplicates, %d missing; done %.1fs after the last resume", n, doubles, missing, took.Seconds())
}
