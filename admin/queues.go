package admin

import (
	"slices"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// Queues is a collector of the queues' depths, read from Redis with
// asynq's Inspector when scraped.
type Queues struct {
	Inspector *asynq.Inspector
	Names     []string // the queues to report; others on the same Redis are left out

	depth *prometheus.Desc
	up    *prometheus.Desc
}

// NewQueues returns the collector of the queues names.
func NewQueues(insp *asynq.Inspector, names ...string) *Queues {
	return &Queues{Inspector: insp, Names: names,
		depth: prometheus.NewDesc("rundbrief_queue_tasks", "Tasks in a queue, by state (pending, active, scheduled, retry, archived).",
			[]string{"queue", "state"}, nil),
		up: prometheus.NewDesc("rundbrief_queue_up", "1 when Redis answered the last scrape, else 0.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (q *Queues) Describe(ch chan<- *prometheus.Desc) { ch <- q.depth; ch <- q.up }

// Collect implements prometheus.Collector.
func (q *Queues) Collect(ch chan<- prometheus.Metric) {
	known, err := q.Inspector.Queues()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(q.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(q.up, prometheus.GaugeValue, 1)
	for _, name := range q.Names {
		var info asynq.QueueInfo
		if slices.Contains(known, name) {
			i, err := q.Inspector.GetQueueInfo(name)
			if err != nil {
				continue
			}
			info = *i
		}
		for state, n := range map[string]int{"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived} {
			ch <- prometheus.MustNewConstMetric(q.depth, prometheus.GaugeValue, float64(n), name, state)
		}
	}
}
