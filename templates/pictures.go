package templates

import (
	"fmt"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// RemotePictureError is a picture a newsletter gives by a web address: a
// mail that fetched it when opened would tell the server who read it and
// when. Give the picture as a file instead.
type RemotePictureError struct{ URL string }

func (e *RemotePictureError) Error() string {
	return fmt.Sprintf("templates: picture %s is on a server; give it as a file", e.URL)
}

// EmbedPictures finds the pictures of a newsletter's Markdown that are
// given as local files ("![Die Preisträgerinnen](bilder/preis.jpg)") and
// puts what load returns for each in its place: the picture's address in
// the mail, "cid:" and its Content-ID. A picture given by a web address is
// a *RemotePictureError; one already given as "cid:" stays.
func EmbedPictures(md string, load func(path, alt string) (string, error)) (string, error) {
	doc := newMarkdown().md.Parser().Parse(text.NewReader([]byte(md)))
	type found struct{ dest, alt string }
	var pictures []found
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering {
			pictures = append(pictures, found{string(img.Destination), plainAlt(img, []byte(md))})
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	rest := md
	for _, p := range pictures {
		lower := strings.ToLower(p.dest)
		switch {
		case strings.HasPrefix(lower, "cid:"):
			continue
		case strings.Contains(lower, "://") || strings.HasPrefix(lower, "//") || strings.HasPrefix(lower, "data:"):
			return "", &RemotePictureError{URL: p.dest}
		}
		at := strings.Index(rest, "]("+p.dest)
		if at < 0 {
			at = strings.Index(rest, "](<"+p.dest+">")
			if at < 0 {
				return "", fmt.Errorf("templates: picture %s: cannot find it in the text", p.dest)
			}
		}
		addr, err := load(p.dest, p.alt)
		if err != nil {
			return "", err
		}
		end := at + 2 + len(p.dest)
		if rest[at+2] == '<' {
			end += 2
		}
		b.WriteString(rest[:at+2])
		b.WriteString(addr)
		rest = rest[end:]
	}
	b.WriteString(rest)
	return b.String(), nil
}
