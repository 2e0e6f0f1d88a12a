// Package dnstest runs a DNS server on loopback for tests (with
// github.com/miekg/dns): it answers TXT queries from a table and NXDOMAIN
// for every name not in it, so that checks of SPF, DKIM and DMARC records
// never ask a server off this machine.
package dnstest

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// Start serves records (name → TXT texts; names without the final dot)
// on a free UDP port of 127.0.0.1 until t ends, and returns its address.
func Start(t testing.TB, records map[string][]string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		name := strings.TrimSuffix(strings.ToLower(q.Question[0].Name), ".")
		texts, ok := records[name]
		if !ok {
			m.Rcode = dns.RcodeNameError
		}
		if q.Question[0].Qtype == dns.TypeTXT {
			for _, txt := range texts {
				var parts []string // one string of a TXT record holds at most 255 bytes
				for len(txt) > 255 {
					parts, txt = append(parts, txt[:255]), txt[255:]
				}
				m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
					Txt: append(parts, txt)})
			}
		}
		w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// Resolver is a resolver that asks only the server at addr.
func Resolver(addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}
