package doctor_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/doctor"
	"github.com/knf-nordhausen/rundbrief/internal/dnstest"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/mailer"
)

// zone is a resolver that asks a DNS server on loopback holding records.
func zone(t *testing.T, records map[string][]string) *net.Resolver {
	return dnstest.Resolver(dnstest.Start(t, records))
}

func codes(fs []doctor.Finding) map[doctor.Code]doctor.Level {
	out := map[doctor.Code]doctor.Level{}
	for _, f := range fs {
		out[f.Code] = f.Level
	}
	return out
}

func TestDNSRecords(t *testing.T) {
	t.Parallel()
	ed := mustEd()
	d, err := mailer.NewDKIM("lra-nordhausen.de", mailer.DKIMKey{Selector: "rb2026", Key: ed})
	if err != nil {
		t.Fatal(err)
	}
	rec := d.Records()[0]
	good := map[string][]string{
		"lra-nordhausen.de":                   {"v=spf1 mx ip4:198.51.100.10 -all", "google-site-verification=abc"},
		"rb2026._domainkey.lra-nordhausen.de": {rec.Value},
		"_dmarc.lra-nordhausen.de":            {"v=DMARC1; p=quarantine; rua=mailto:dmarc@lra-nordhausen.de"},
	}
	otherKey, _ := mailer.NewDKIM("lra-nordhausen.de", mailer.DKIMKey{Selector: "rb2026", Key: mustEd()})
	tests := []struct {
		name     string
		records  map[string][]string
		envelope string
		want     map[doctor.Code]doctor.Level
	}{
		{"all good", good, "", map[doctor.Code]doctor.Level{doctor.SPFOK: doctor.OK, doctor.DKIMOK: doctor.OK, doctor.DMARCOK: doctor.OK}},
		{"nothing published", map[string][]string{}, "", map[doctor.Code]doctor.Level{doctor.SPFMissing: doctor.Fail, doctor.DKIMMissing: doctor.Fail, doctor.DMARCMissing: doctor.Fail}},
		{"open SPF, two DMARC", map[string][]string{
			"lra-nordhausen.de":                   {"v=spf1 +all"},
			"rb2026._domainkey.lra-nordhausen.de": {rec.Value},
			"_dmarc.lra-nordhausen.de":            {"v=DMARC1; p=none", "v=DMARC1; p=reject"},
		}, "", map[doctor.Code]doctor.Level{doctor.SPFOpen: doctor.Fail, doctor.DMARCInvalid: doctor.Fail}},
		{"two SPF, neutral", map[string][]string{"lra-nordhausen.de": {"v=spf1 mx -all", "v=spf1 a ?all"}}, "",
			map[doctor.Code]doctor.Level{doctor.SPFMany: doctor.Fail}},
		{"neutral SPF", map[string][]string{"lra-nordhausen.de": {"v=spf1 mx ?all"}}, "", map[doctor.Code]doctor.Level{doctor.SPFNeutral: doctor.Warn}},
		{"an old key in DNS", map[string][]string{"rb2026._domainkey.lra-nordhausen.de": {otherKey.Records()[0].Value}}, "",
			map[doctor.Code]doctor.Level{doctor.DKIMMismatch: doctor.Fail}},
		{"bounces from another domain", map[string][]string{"bounces.example.net": {"v=spf1 -all"}}, "bounces.example.net",
			map[doctor.Code]doctor.Level{doctor.SPFOK: doctor.OK, doctor.SPFUnaligned: doctor.Warn}},
		{"bounces from a subdomain", map[string][]string{"rb.lra-nordhausen.de": {"v=spf1 mx -all"}}, "rb.lra-nordhausen.de",
			map[doctor.Code]doctor.Level{doctor.SPFOK: doctor.OK}},
	}
	for _, tt := range tests {
		doc := &doctor.Doctor{Resolver: zone(t, tt.records), FromDomain: "lra-nordhausen.de", EnvelopeDomain: tt.envelope, DKIM: d.Records(),
			BounceAddress: "bounces@lra-nordhausen.de", Relay: nil}
		got := codes(doc.Run(context.Background()))
		for code, level := range tt.want {
			if l, ok := got[code]; !ok || l != level {
				t.Errorf("%s: %s is %v (found %v), want %v; all: %v", tt.name, code, l, ok, level, got)
			}
		}
		if _, ok := tt.want[doctor.SPFUnaligned]; !ok {
			if _, bad := got[doctor.SPFUnaligned]; bad {
				t.Errorf("%s: unaligned without cause", tt.name)
			}
		}
	}
}

func TestRelayAndParts(t *testing.T) {
	t.Parallel()
	relay := smtptest.Start(t, smtptest.Options{Username: "knf", Password: "geheim"})
	cfg, err := mailer.ParseSMTPURL(relay.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 5 * time.Second
	s, err := mailer.NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	doc := &doctor.Doctor{
		Database:    func(context.Context) (int, int, error) { return 28, 29, nil },
		Queue:       func(context.Context) error { return errors.New("dial tcp 127.0.0.1:6379: connection refused") },
		Relay:       s.Probe,
		RelayName:   relay.Host + ":" + itoa(relay.Port),
		BiggestMail: 12 << 20, // more than the relay's 10 MiB
		Mailbox:     func(context.Context) error { return errors.New("login failed") }, MailboxName: "imaps://bounces@mail",
		BounceAddress: "bounces@lra.example",
	}
	got := codes(doc.Run(context.Background()))
	want := map[doctor.Code]doctor.Level{
		doctor.DatabaseBehind: doctor.Fail, doctor.QueueDown: doctor.Fail, doctor.RelayOK: doctor.OK,
		doctor.RelaySizeSmall: doctor.Fail, doctor.BounceMailboxFailed: doctor.Fail,
	}
	for code, level := range want {
		if l, ok := got[code]; !ok || l != level {
			t.Errorf("%s is %v (found %v), want %v; all: %v", code, l, ok, level, got)
		}
	}
	if _, ok := got[doctor.RelayPlain]; ok {
		t.Error("a relay on loopback without TLS is reported as plain")
	}
	if _, ok := got[doctor.RelayNoAuth]; ok {
		t.Error("the relay's login is reported as missing")
	}
	if doctor.Worst(doc.Run(context.Background())) != doctor.Fail {
		t.Error("Worst is not Fail")
	}

	relay.Down()
	got = codes(doc.Run(context.Background()))
	if got[doctor.RelayDown] != doctor.Fail {
		t.Errorf("a relay that is down: %v", got)
	}
}

func mustEd() ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func itoa(n int) string { return strconv.Itoa(n) }
