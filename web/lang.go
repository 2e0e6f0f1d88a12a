package web

import (
	"net/http"

	"golang.org/x/text/language"

	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// lang is the language of a page.
type lang string

const (
	german  lang = "de"
	english lang = "en"
)

// matcher picks German or English from an Accept-Language header; German
// comes first, so it is the answer when nothing matches.
var matcher = language.NewMatcher([]language.Tag{language.German, language.English})

// explicitLang is the language the request asks for with ?lang= (or a lang
// form field), or "".
func explicitLang(r *http.Request) lang {
	switch r.URL.Query().Get("lang") {
	case "en":
		return english
	case "de":
		return german
	}
	return ""
}

// pageLang chooses the language of a page: ?lang= first, then the
// subscriber's own language (on pages reached by their link), then the
// browser's Accept-Language, then German.
func pageLang(r *http.Request, sub *subscribers.Subscriber) lang {
	if l := explicitLang(r); l != "" {
		return l
	}
	if sub != nil {
		if sub.Language == subscribers.LanguageEnglish {
			return english
		}
		return german
	}
	tag, _ := language.MatchStrings(matcher, r.Header.Get("Accept-Language"))
	if base, _ := tag.Base(); base.String() == "en" {
		return english
	}
	return german
}

func (l lang) subscribers() subscribers.Language {
	if l == english {
		return subscribers.LanguageEnglish
	}
	return subscribers.LanguageGerman
}
