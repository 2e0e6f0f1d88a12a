package mailer

import (
	"net/mail"
	"testing"
)

func TestWireAddress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		utf8     bool
	}{
		{"anna@example.org", "anna@example.org", false},
		{"user@müller.example", "user@xn--mller-kva.example", false},
		{"user@xn--mller-kva.example", "user@xn--mller-kva.example", false},
		{"jörg@example.org", "jörg@example.org", true},
		{"jörg@straße.example", "jörg@xn--strae-oqa.example", true},
	} {
		got, utf8, err := wireAddress(tc.in)
		if err != nil || got != tc.want || utf8 != tc.utf8 {
			t.Errorf("wireAddress(%q) = %q, %v, %v; want %q, %v", tc.in, got, utf8, err, tc.want, tc.utf8)
		}
	}
	if _, _, err := wireAddress("a@bad domäin.example"); err == nil {
		t.Error("a domain that IDNA refuses was taken")
	}
	if _, err := headerAddress(mail.Address{Address: "a@bad_domain.example"}); err != nil {
		t.Errorf("an ASCII domain is passed as it is: %v", err)
	}
}

// What relays write about a refused recipient keeps its reason and loses
// the address.
func TestRedact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ reply, rcpt, want string }{
		{"5.1.1 <anna.schmidt@firma.example>: Recipient address rejected: User unknown in local recipient table",
			"anna.schmidt@firma.example", "5.1.1 <…>: Recipient address rejected: User unknown in local recipient table"},
		{"5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient anna.schmidt@firma.example not found by SMTP address lookup",
			"anna.schmidt@firma.example", "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient <…> not found by SMTP address lookup"},
		{"5.1.1 The email account that you tried to reach does not exist.", "x@gmail.example",
			"5.1.1 The email account that you tried to reach does not exist."},
		{"5.1.1 User ANNA.SCHMIDT unknown", "anna.schmidt@firma.example", "5.1.1 User … unknown"},
		{"5.2.2 mailbox full (jo)", "jo@example.org", "5.2.2 mailbox full (jo)"}, // too short to tell from a word
		{"4.3.0 Try again later", "anna@example.org", "4.3.0 Try again later"},
	} {
		if got := redact(tc.reply, tc.rcpt); got != tc.want {
			t.Errorf("redact(%q)\n got %q\nwant %q", tc.reply, got, tc.want)
		}
	}
}
