package plain_test

import (
	"testing"

	"github.com/knf-nordhausen/rundbrief/internal/plain"
)

func TestForbidden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    rune
		want bool
	}{
		{'\n', true}, {'\r', true}, {'\t', true}, {0x7f, true}, {0x85, true},
		{'\u202e', true}, {'\u202a', true}, {'\u2066', true}, {'\u2069', true}, {'\u200e', true}, {'\u200f', true}, {'\u061c', true},
		{'\u200b', true}, {'\u2060', true}, {'\ufeff', true}, {'\U000e0041', true},
		{'a', false}, {'ü', false}, {'ß', false}, {' ', false}, {'„', false}, {'–', false}, {'€', false},
		{'\u00ad', false}, {'\u200c', false}, {'\u200d', false}, {'👩', false},
	} {
		if got := plain.Forbidden(tc.r); got != tc.want {
			t.Errorf("Forbidden(%U) = %v, want %v", tc.r, got, tc.want)
		}
	}
	if r, ok := plain.Find("Jörg \u202eMüller"); !ok || r != '\u202e' {
		t.Errorf("Find = %U, %v", r, ok)
	}
	if _, ok := plain.Find("Jörg Müller"); ok {
		t.Error("Find found something in a plain name")
	}
}
