package web

import (
	"net/http"

	"golang.org/x/text/language"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// matcher picks German or English from an Accept-Language header; German
// comes first, so it is the answer when nothing matches.
var matcher = language.NewMatcher([]language.Tag{language.German, language.English})

// explicitLang is the language the request asks for with ?lang= (or a lang
// form field), or "".
func explicitLang(r *http.Request) i18n.Lang {
	switch r.URL.Query().Get("lang") {
	case "en":
		return i18n.English
	case "de":
		return i18n.German
	}
	return ""
}

// pageLang chooses the language of a page: ?lang= first, then the
// subscriber's own language (on pages reached by their link), then the
// browser's Accept-Language, then German.
func pageLang(r *http.Request, sub *subscribers.Subscriber) i18n.Lang {
	if l := explicitLang(r); l != "" {
		return l
	}
	if sub != nil {
		return sub.Language.Known()
	}
	tag, _ := language.MatchStrings(matcher, r.Header.Get("Accept-Language"))
	if base, _ := tag.Base(); base.String() == "en" {
		return i18n.English
	}
	return i18n.German
}
