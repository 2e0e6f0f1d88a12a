package worker

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/internal/testenv"
)

// A failing step is logged and reported under its name, and the steps
// after it still run.
func TestSweepGoesOnAfterAFailingStep(t *testing.T) {
	t.Parallel()
	var logs testenv.SyncBuffer
	w := &Worker{cfg: Config{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}}
	down := errors.New("connection refused")
	ran := 0
	step := func(name string, n int, err error) sweepStep {
		return sweepStep{name, func(context.Context, time.Duration) (int, error) { ran++; return n, err }}
	}
	results, err := w.runSweep(context.Background(), time.Minute,
		[]sweepStep{step("subscription mails", 2, nil), step("reminders", 0, down), step("campaign batches", 3, nil), step("registration mails", 0, nil)})
	if ran != 4 || len(results) != 4 {
		t.Fatalf("ran %d steps, %d results; want 4", ran, len(results))
	}
	if !errors.Is(err, down) || !strings.Contains(err.Error(), "sweep reminders") {
		t.Errorf("error = %v, want the reminders step's", err)
	}
	for _, want := range []string{
		`level=INFO msg="sweep step queued tasks" step="subscription mails" queued=2`,
		`level=ERROR msg="sweep step failed; the next sweep tries again" step=reminders queued=0 error="connection refused"`,
		`level=INFO msg="sweep step queued tasks" step="campaign batches" queued=3`,
		`level=DEBUG msg="sweep step found nothing" step="registration mails" queued=0`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}
