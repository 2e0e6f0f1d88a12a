package bounces_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/bounces"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

func testVERP(t testing.TB) *bounces.VERP {
	t.Helper()
	v, err := bounces.NewVERP("bounces@nordhausen.example", []byte("a test secret of thirty-two bytes or more"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sample reads testdata/name with the bounce address of ref in place of
// {{BOUNCE}}, with its lines ending in CRLF when crlf is set.
func sample(t testing.TB, v *bounces.VERP, name string, ref maillog.Ref, crlf bool) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("{{BOUNCE}}"), []byte(v.Address(ref)))
	if crlf {
		b = bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
	}
	return b
}

func TestReadReports(t *testing.T) {
	v := testVERP(t)
	ref := maillog.Ref{Log: maillog.Deliveries, ID: 4711}
	tests := []struct {
		file   string
		typ    bounces.Type
		class  subscribers.BounceClass
		status string
		match  bool
	}{
		{"postfix-hard.eml", bounces.TypeBounce, subscribers.BounceHard, "5.1.1", true},
		{"postfix-delayed.eml", bounces.TypeBounce, subscribers.BounceSoft, "4.2.2", true},
		{"gmail-hard.eml", bounces.TypeBounce, subscribers.BounceHard, "5.1.1", true},
		{"exchange-online.eml", bounces.TypeBounce, subscribers.BounceHard, "5.1.10", true},
		{"exchange-2010-plain.eml", bounces.TypeBounce, subscribers.BounceHard, "5.1.1", true},
		{"qmail.eml", bounces.TypeBounce, subscribers.BounceHard, "5.1.1", true},
		{"arf-complaint.eml", bounces.TypeComplaint, subscribers.Complaint, "", true},
		{"outlook-autoreply.eml", bounces.TypeAutoReply, "", "", true},
		{"success-dsn.eml", bounces.TypeDelivered, "", "", true},
		{"colleague.eml", bounces.TypeOther, "", "", false},
	}
	for _, tt := range tests {
		for _, crlf := range []bool{false, true} {
			got, err := v.Read(bytes.NewReader(sample(t, v, tt.file, ref, crlf)))
			if err != nil {
				t.Fatal(err)
			}
			if got.Type != tt.typ || got.Class != tt.class || got.Status != tt.status || got.Matched != tt.match {
				t.Errorf("%s (crlf %v): got %s/%s/%q matched %v, want %s/%s/%q matched %v", tt.file, crlf,
					got.Type, got.Class, got.Status, got.Matched, tt.typ, tt.class, tt.status, tt.match)
			}
			if tt.match && got.Mail != ref {
				t.Errorf("%s: mail %+v, want %+v", tt.file, got.Mail, ref)
			}
			if want := tt.match && (tt.typ == bounces.TypeBounce || tt.typ == bounces.TypeComplaint); got.Acts() != want {
				t.Errorf("%s: Acts() = %v, want %v", tt.file, got.Acts(), want)
			}
		}
	}
}

func TestPolicyRefusalCountsAgainstNoOne(t *testing.T) {
	v := testVERP(t)
	raw := sample(t, v, "postfix-hard.eml", maillog.Ref{Log: maillog.RegistrationMails, ID: 9}, false)
	raw = bytes.Replace(raw, []byte("Status: 5.1.1"), []byte("Status: 5.7.1"), 1)
	got, err := v.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got.Class != subscribers.BouncePolicy || got.Status != "5.7.1" {
		t.Errorf("got %s %s, want policy 5.7.1", got.Class, got.Status)
	}
}

func TestForgedTokenDoesNotMatch(t *testing.T) {
	v := testVERP(t)
	other, err := bounces.NewVERP("bounces@nordhausen.example", []byte("another secret of thirty-two bytes or more"))
	if err != nil {
		t.Fatal(err)
	}
	ref := maillog.Ref{Log: maillog.Deliveries, ID: 1}
	forged := sample(t, other, "postfix-hard.eml", ref, true) // signed with a key not ours
	got, err := v.Read(bytes.NewReader(forged))
	if err != nil {
		t.Fatal(err)
	}
	if got.Matched || got.Acts() {
		t.Errorf("a report with a forged token matched %+v", got.Mail)
	}
	// The same token with its ID changed.
	addr := v.Address(ref)
	changed := strings.Replace(addr, "+d1-", "+d2-", 1)
	if _, ok := v.Mail(changed); ok {
		t.Errorf("%s with its ID changed still matches", changed)
	}
}

func TestVERPAddress(t *testing.T) {
	v := testVERP(t)
	for _, ref := range []maillog.Ref{
		{Log: maillog.Deliveries, ID: 1},
		{Log: maillog.RegistrationMails, ID: 123456789},
		{Log: maillog.SubscriptionMails, ID: 1<<63 - 1},
	} {
		addr := v.Address(ref)
		if at := strings.IndexByte(addr, '@'); at > 64 || !strings.HasPrefix(addr, "bounces+") || !strings.HasSuffix(addr, "@nordhausen.example") {
			t.Errorf("%+v: address %s", ref, addr)
		}
		for _, spelt := range []string{addr, strings.ToUpper(addr), "<" + addr + ">"} {
			if got, ok := v.Mail(spelt); !ok || got != ref {
				t.Errorf("Mail(%s) = %+v, %v; want %+v", spelt, got, ok, ref)
			}
		}
	}
	for _, bad := range []string{"bounces@nordhausen.example", "bounces+d1-0000000000000000@nordhausen.example",
		"x" + v.Address(maillog.Ref{Log: maillog.Deliveries, ID: 5}), v.Address(maillog.Ref{Log: maillog.Deliveries, ID: 5}) + ".evil"} {
		if got, ok := v.Mail(bad); ok {
			t.Errorf("Mail(%s) = %+v, want no match", bad, got)
		}
	}
	for _, addr := range []string{"Bounces <bounces@x.example>", "bounces+x@x.example", "keine-adresse"} {
		if _, err := bounces.NewVERP(addr, []byte("s")); err == nil {
			t.Errorf("NewVERP(%q) accepted", addr)
		}
	}
}

func FuzzRead(f *testing.F) {
	v := testVERP(f)
	names, _ := filepath.Glob("testdata/*.eml")
	for _, n := range names {
		f.Add(sample(f, v, filepath.Base(n), maillog.Ref{Log: maillog.Deliveries, ID: 7}, true))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := v.Read(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		switch got.Type {
		case bounces.TypeBounce:
			if got.Class == "" || got.Status == "" || got.Class == subscribers.Complaint {
				t.Errorf("bounce without class or status: %+v", got)
			}
		case bounces.TypeComplaint:
			if got.Class != subscribers.Complaint || got.Status != "" {
				t.Errorf("complaint %+v", got)
			}
		default:
			if got.Acts() {
				t.Errorf("%s acts", got.Type)
			}
		}
		if got.Matched && (!got.Mail.Log.Valid() || got.Mail.ID <= 0) {
			t.Errorf("matched an invalid mail %+v", got.Mail)
		}
	})
}
