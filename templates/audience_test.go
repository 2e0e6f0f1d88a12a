package templates

import (
	"testing"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

func TestDescribeAudience(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lang   i18n.Lang
		kinds  []string
		topics []string
		want   string
	}{
		{i18n.German, nil, nil, "Alle Interessierten"},
		{i18n.English, nil, nil, "Everyone interested"},
		{i18n.German, []string{"company", "school"}, []string{"Berufsausbildung"}, "Unternehmen und Schulen · Themen: Berufsausbildung"},
		{i18n.English, []string{"company", "school", "other"}, nil, "Companies, schools and partners and institutions"},
		{i18n.German, nil, []string{"Jugend", "Ausbildung"}, "Themen: Jugend, Ausbildung"},
		{i18n.German, []string{"family"}, nil, "Familien"},
		{"fr", []string{"family"}, nil, "Familien"},
	} {
		if got := DescribeAudience(tc.lang, tc.kinds, tc.topics); got != tc.want {
			t.Errorf("DescribeAudience(%s, %v, %v) = %q, want %q", tc.lang, tc.kinds, tc.topics, got, tc.want)
		}
	}
}

func TestKindNameAndJoinAnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want string }{
		{KindName("school", i18n.German), "Schule"},
		{KindName("other", i18n.English), "Other"},
		{KindName("robot", i18n.German), "robot"},
		{JoinAnd(i18n.German, []string{"Hochschule"}), "Hochschule"},
		{JoinAnd(i18n.German, []string{"A", "B", "C"}), "A, B und C"},
		{JoinAnd(i18n.English, []string{"A", "B"}), "A and B"},
		{JoinAnd(i18n.English, nil), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
