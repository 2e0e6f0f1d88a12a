package i18n_test

import (
	"errors"
	"testing"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want i18n.Lang
		err  error
	}{
		{"", i18n.German, nil}, {"de", i18n.German, nil}, {" Deutsch ", i18n.German, nil}, {"GERMAN", i18n.German, nil},
		{"en", i18n.English, nil}, {"Englisch", i18n.English, nil}, {"english", i18n.English, nil},
		{"français", "", i18n.ErrUnknown}, {"de-DE", "", i18n.ErrUnknown},
	} {
		got, err := i18n.Parse(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	for _, tc := range []struct{ in, want i18n.Lang }{{i18n.English, i18n.English}, {i18n.German, i18n.German}, {"fr", i18n.German}, {"", i18n.German}} {
		if got := tc.in.Known(); got != tc.want {
			t.Errorf("%q.Known() = %q, want %q", tc.in, got, tc.want)
		}
	}
}
