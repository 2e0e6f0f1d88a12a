package worker_test

import (
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/worker"
)

// BenchmarkDeliver10k sends a newsletter to 10,000 subscribers with an
// in-process worker, for profiling the engine:
//
//	go test -run '^$' -bench Deliver10k -benchtime 1x -cpuprofile cpu.out ./worker
//
// The relay runs in the same process and shares the CPU; make bench's
// BenchmarkCampaign10k measures a real worker process.
func BenchmarkDeliver10k(b *testing.B) {
	const n, concurrency = 10_000, 8
	for b.Loop() {
		b.StopTimer()
		e := setupCampaigns(b, smtptest.Options{})
		e.campaigns.BatchSize = campaigns.DefaultBatchSize
		e.populate(b, group{prefix: "bench", n: n, kind: subscribers.KindCompany, confirmed: true})
		plan := e.send(b, newsletter())
		smtpCfg, err := mailer.ParseSMTPURL(e.relay.URL())
		if err != nil {
			b.Fatal(err)
		}
		smtpCfg.MaxConns = concurrency
		sender, err := mailer.NewSMTPSender(smtpCfg)
		if err != nil {
			b.Fatal(err)
		}
		w := e.worker(b, func(c *worker.Config) { c.Concurrency, c.Sender = concurrency, sender })
		b.StartTimer()
		start := time.Now()
		e.runUntilEmpty(b, w)
		b.ReportMetric(float64(plan.Recipients)/time.Since(start).Seconds(), "mails/s")
	}
}
