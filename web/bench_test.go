package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
)

// BenchmarkPages measures the public pages under load over real HTTP on
// loopback, with kept-alive connections from parallel clients, and
// reports requests per second and the 99th percentile latency:
//
//	go test -run '^$' -bench Pages -benchtime 5s ./web
//
// The server, PostgreSQL and the clients share the machine.
func BenchmarkPages(b *testing.B) {
	s, evs := eventSite(b)
	ctx := b.Context()
	if err := s.server.WatchTopics(ctx, s.dbURL); err != nil { // as serve does: the form kept until the topics change
		b.Fatal(err)
	}
	spec := createEvent(b, evs, "job-speeddating-2027.yaml", func(sp *events.Spec) { sp.Capacity, sp.Deadline = 0, nil })
	if _, err := evs.Publish(ctx, spec.Slug); err != nil {
		b.Fatal(err)
	}
	const people = 2000
	var prefs, registers []string
	for i := range people {
		sub, token := s.confirmed(fmt.Sprintf("leser-%04d@example.org", i))
		prefs = append(prefs, token)
		registers = append(registers, s.registerLink(spec.Slug, sub))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	oneClick := url.Values{"List-Unsubscribe": {"One-Click"}}.Encode()

	for _, tc := range []struct {
		name string
		req  func(i int) *http.Request
	}{
		{"subscribe-page", func(int) *http.Request {
			r, _ := http.NewRequest("GET", s.srv.URL+"/", nil)
			return r
		}},
		{"registration-page", func(i int) *http.Request {
			r, _ := http.NewRequest("GET", s.srv.URL+registers[i%people], nil)
			return r
		}},
		{"one-click-unsubscribe", func(i int) *http.Request {
			r, _ := http.NewRequest("POST", s.srv.URL+"/unsubscribe/"+prefs[i%people], strings.NewReader(oneClick))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var (
				mu        sync.Mutex
				latencies []time.Duration
				next      int
			)
			b.SetParallelism(8)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					t0 := time.Now()
					res, err := client.Do(tc.req(i))
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("%s: %d", tc.name, res.StatusCode)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				latencies = append(latencies, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			slices.Sort(latencies)
			if len(latencies) > 0 {
				b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
				b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}
