package templates

import (
	"strings"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// kindWords name the kinds of subscriber (subscribers.Kind): the singular
// for a form or a list, the plural for saying whom an event is for.
var kindWords = map[i18n.Lang]map[string][2]string{
	i18n.German: {
		"company": {"Unternehmen", "Unternehmen"},
		"school":  {"Schule", "Schulen"},
		"family":  {"Familie", "Familien"},
		"other":   {"Sonstige", "Partner und Einrichtungen"},
	},
	i18n.English: {
		"company": {"Company", "companies"},
		"school":  {"School", "schools"},
		"family":  {"Family", "families"},
		"other":   {"Other", "partners and institutions"},
	},
}

// KindName is the name of a kind of subscriber in lang: "Schule" for
// "school". An unknown kind is returned as it is.
func KindName[K ~string](kind K, lang i18n.Lang) string {
	if w, ok := kindWords[lang.Known()][string(kind)]; ok {
		return w[0]
	}
	return string(kind)
}

// DescribeAudience says whom an event or a campaign is for, in lang:
// "Unternehmen und Schulen · Themen: Berufsausbildung", or "Alle
// Interessierten" when it names neither kinds nor topics. topicTitles are
// the titles of its topics in lang.
func DescribeAudience[K ~string](lang i18n.Lang, kinds []K, topicTitles []string) string {
	lang = lang.Known()
	en := lang == i18n.English
	var parts []string
	if len(kinds) > 0 {
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = string(k)
			if w, ok := kindWords[lang][string(k)]; ok {
				names[i] = w[1]
			}
		}
		s := JoinAnd(lang, names)
		parts = append(parts, strings.ToUpper(s[:1])+s[1:])
	}
	if len(topicTitles) > 0 {
		parts = append(parts, pick(en, "Topics: ", "Themen: ")+strings.Join(topicTitles, ", "))
	}
	if len(parts) == 0 {
		return pick(en, "Everyone interested", "Alle Interessierten")
	}
	return strings.Join(parts, " · ")
}

// JoinAnd joins xs with commas and a final "und" ("and" in English).
func JoinAnd(lang i18n.Lang, xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + pick(lang == i18n.English, " and ", " und ") + xs[len(xs)-1]
}

// Organiser is who runs an event, with its partners, in lang:
// "Netzwerkstelle … mit Hochschule Nordhausen und Kreisjugendring".
func Organiser(lang i18n.Lang, organiser string, partners []string) string {
	if len(partners) == 0 {
		return organiser
	}
	with := JoinAnd(lang, partners)
	if organiser == "" {
		return with
	}
	return organiser + pick(lang == i18n.English, " with ", " mit ") + with
}
