package worker

import (
	"errors"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/maillog"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	delay := func(n int) time.Duration { return 10 * time.Second << (n - 1) } // Backoff without its jitter
	temp := &mailer.Error{Temporary: true, Code: 451, Enhanced: "4.3.0", Stage: mailer.StageRcptTo}
	for _, tc := range []struct {
		name    string
		err     error
		retried int
		want    Verdict
		retryIn time.Duration
		status  maillog.Status // of the mail's log entry
	}{
		{"4xx, first try", temp, 0, Retry, 10 * time.Second, maillog.Queued},
		{"4xx, third retry", temp, 2, Retry, 40 * time.Second, maillog.Queued},
		{"4xx, retries used up", temp, 10, GiveUp, 0, maillog.Failed},
		{"relay down", &mailer.Error{Temporary: true, Stage: mailer.StageConnect, Err: errors.New("connection refused")}, 0, Retry, 10 * time.Second, maillog.Queued},
		{"not a mailer error", errors.New("context deadline exceeded"), 3, Retry, 80 * time.Second, maillog.Queued},
		{"550 5.1.1 at RCPT", &mailer.Error{Code: 550, Enhanced: "5.1.1", Stage: mailer.StageRcptTo}, 0, Bounce, 0, maillog.Bounced},
		{"552 5.2.2 after DATA", &mailer.Error{Code: 552, Enhanced: "5.2.2", Stage: mailer.StageData}, 4, Bounce, 0, maillog.Bounced},
		{"550 5.7.1 policy", &mailer.Error{Code: 550, Enhanced: "5.7.1", Stage: mailer.StageRcptTo}, 0, Fail, 0, maillog.Failed},
		{"554 after DATA, no mailbox code", &mailer.Error{Code: 554, Enhanced: "5.6.0", Stage: mailer.StageData}, 0, Fail, 0, maillog.Failed},
		{"550 to MAIL", &mailer.Error{Code: 550, Stage: mailer.StageMailFrom}, 0, Fail, 0, maillog.Failed},
		{"no SMTPUTF8", &mailer.Error{Stage: mailer.StageRcptTo, Err: mailer.ErrNoSMTPUTF8}, 0, Fail, 0, maillog.Failed},
		{"cannot be built", &mailer.Error{Stage: mailer.StageBuild, Err: mailer.ErrInvalidMessage}, 0, Fail, 0, maillog.Failed},
	} {
		d := decide(tc.err, tc.retried, 10, now, delay)
		if d.Verdict != tc.want {
			t.Errorf("%s: verdict %d, want %d", tc.name, d.Verdict, tc.want)
		}
		if tc.want == Retry && !d.RetryAt.Equal(now.Add(tc.retryIn)) {
			t.Errorf("%s: retry at %s, want in %s", tc.name, d.RetryAt, tc.retryIn)
		}
		if d.Err == nil {
			t.Errorf("%s: decision without its error", tc.name)
		}
		c := maillog.Claim{ID: 7, Attempts: tc.retried + 1}
		o := d.Outcome(c)
		if o.Claim != c || o.Status != tc.status || o.Reply != d.Err.Reply() || (o.RetryAt != nil) != (tc.status == maillog.Queued) {
			t.Errorf("%s: outcome %+v, want status %s with the reply", tc.name, o, tc.status)
		}
	}
}
