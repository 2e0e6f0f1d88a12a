// Package plain holds the one rule for a line of text that people type and
// others read: a name, an organisation, an event's title or place, a
// subject. Such a line may end up in a mail header, a page, a calendar
// file, a table on a terminal and a spreadsheet, so it must not hold:
//
//   - control characters (C0, DEL and C1): a line break in a header value
//     would start a header of the writer's choosing (RFC 5322, section
//     2.2), and other controls garble terminals;
//   - bidirectional controls (U+061C, U+200E, U+200F, U+202A to U+202E,
//     U+2066 to U+2069): they reverse the text that follows them, so that
//     a name reads differently from what it is ("Trojan Source", CVE-2021-42574);
//   - other invisible format characters (Unicode category Cf: the zero
//     width space U+200B, the word joiner U+2060, U+FEFF, the tag
//     characters U+E0000 to U+E007F that can hide text), except the soft
//     hyphen U+00AD that word processors put in, and the zero width
//     non-joiner and joiner U+200C and U+200D that some scripts and emoji
//     need.
package plain

import "unicode"

// Forbidden reports whether r must not appear in a line of text (see the
// package comment).
func Forbidden(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r == '\u00ad', r == '\u200c', r == '\u200d':
		return false
	}
	return unicode.Is(unicode.Cf, r)
}

// Find returns the first forbidden rune in s and true, or 0 and false.
func Find(s string) (rune, bool) {
	for _, r := range s {
		if Forbidden(r) {
			return r, true
		}
	}
	return 0, false
}
