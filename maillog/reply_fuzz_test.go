package maillog

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// What keptReply keeps is text PostgreSQL takes, at most maxReply
// characters, and the reply itself when it was such text already.
func FuzzKeptReply(f *testing.F) {
	for _, s := range []string{"250 2.0.0 Ok", "550 Empf\xe4nger", "\x00", strings.Repeat("ä", 1200), "451 \xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		got := keptReply(reply)
		if !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 || utf8.RuneCountInString(got) > maxReply {
			t.Fatalf("keptReply(%q) = %q", reply, got)
		}
		if utf8.ValidString(reply) && strings.IndexByte(reply, 0) < 0 {
			if want := string([]rune(reply)[:min(maxReply, utf8.RuneCountInString(reply))]); got != want {
				t.Fatalf("keptReply(%q) = %q, want %q", reply, got, want)
			}
		}
	})
}
