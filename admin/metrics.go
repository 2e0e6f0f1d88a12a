// Package admin is what an operator watches: Prometheus metrics of the
// mail sent, failed and bounced, the queues, the relay's replies and the
// web pages (github.com/prometheus/client_golang), and asynq's queue
// dashboard (asynqmon), on a listener of their own (RUNDBRIEF_ADMIN_LISTEN)
// behind HTTP basic auth (RFC 7617).
package admin

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are one process's metrics, in a registry of their own. A nil
// *Metrics records nothing, so code may call it unconditionally. Safe for
// concurrent use.
type Metrics struct {
	Registry *prometheus.Registry

	mails   *prometheus.CounterVec   // kind, status
	send    *prometheus.HistogramVec // kind
	replies *prometheus.CounterVec   // class
	bounces *prometheus.CounterVec   // class
	http    *prometheus.CounterVec   // route, code
	httpDur *prometheus.HistogramVec // route
}

// The kinds of mail, as the metrics name them.
const (
	KindCampaign     = "campaign"
	KindRegistration = "registration"
	KindSubscription = "subscription"
)

// New returns metrics registered in a new registry, with the Go runtime's
// and the process's own.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		mails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rundbrief_mails_total",
			Help: "Mails whose sending ended, by kind (campaign, registration, subscription) and status (sent, failed, bounced, skipped, retry).",
		}, []string{"kind", "status"}),
		send: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rundbrief_send_seconds",
			Help:    "Time to hand one mail to the relay, by kind.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rundbrief_smtp_replies_total",
			Help: "The relay's final replies, by class (2xx, 4xx, 5xx; none when there was no reply).",
		}, []string{"class"}),
		bounces: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rundbrief_bounces_total",
			Help: "Reports that came back by mail and acted, by class (hard, soft, policy, complaint).",
		}, []string{"class"}),
		http: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rundbrief_http_requests_total",
			Help: "Requests to the public pages, by route pattern and status code.",
		}, []string{"route", "code"}),
		httpDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rundbrief_http_request_seconds",
			Help:    "Time to answer a request to the public pages, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
	}
	m.Registry.MustRegister(m.mails, m.send, m.replies, m.bounces, m.http, m.httpDur,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Mail counts one mail of kind whose sending ended in status.
func (m *Metrics) Mail(kind, status string) {
	if m != nil {
		m.mails.WithLabelValues(kind, status).Inc()
	}
}

// Send records that handing a mail of kind to the relay took d and got a
// reply with code (0: none).
func (m *Metrics) Send(kind string, d time.Duration, code int) {
	if m == nil {
		return
	}
	m.send.WithLabelValues(kind).Observe(d.Seconds())
	class := "none"
	if code >= 200 && code < 600 {
		class = strconv.Itoa(code/100) + "xx"
	}
	m.replies.WithLabelValues(class).Inc()
}

// Bounce counts a report of class that acted.
func (m *Metrics) Bounce(class string) {
	if m != nil {
		m.bounces.WithLabelValues(class).Inc()
	}
}

// Request records a request to route that was answered with status
// after d.
func (m *Metrics) Request(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.http.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.httpDur.WithLabelValues(route).Observe(d.Seconds())
}

// Register adds c, such as a Queues collector.
func (m *Metrics) Register(c prometheus.Collector) error { return m.Registry.Register(c) }
