// Package htmltest finds markup in rendered pages and mails that the
// layouts never have, and so came from text that should have been escaped.
package htmltest

import (
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// Injected returns the first element or attribute in doc that rundbrief's
// pages and mails never carry — script, an image or other embedded
// content, an event handler, a javascript:, vbscript: or data: link, or
// one of the elements named in also (mails have no "form") — or "" if
// there is none.
func Injected(doc string, also ...string) string {
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			switch string(name) {
			case "script", "img", "svg", "math", "iframe", "object", "embed":
				return "<" + string(name) + ">"
			}
			if slices.Contains(also, string(name)) {
				return "<" + string(name) + ">"
			}
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				key, val := strings.ToLower(string(k)), strings.ToLower(strings.TrimSpace(string(v)))
				if strings.HasPrefix(key, "on") {
					return key + "=" + val
				}
				if key == "href" || key == "src" || key == "action" {
					for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
						if strings.HasPrefix(val, scheme) {
							return key + "=" + val
						}
					}
				}
			}
		}
	}
}
