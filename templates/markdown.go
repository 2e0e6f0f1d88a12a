package templates

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// markdown turns staff's Markdown (CommonMark with GitHub's tables,
// strikethrough and autolinks) into the HTML of a mail body. Raw HTML in the
// source is dropped, links lead only to web pages, mail addresses and phone
// numbers, and images become links (safeLinks), so a description pasted
// from elsewhere cannot put script, markup or a tracking pixel into a mail.
type markdown struct {
	md goldmark.Markdown
}

func newMarkdown() markdown {
	return markdown{md: goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
		// No html.WithUnsafe: raw HTML becomes a comment.
		goldmark.WithRendererOptions(html.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(safeLinks{}, 100))),
	)}
}

// safeLinks renders links only to web pages, mail addresses and phone
// numbers (http, https, mailto, tel); any other link is its text alone.
// A Markdown image becomes a link to it, its alt text the link's text: a
// mail from the office loads nothing from elsewhere when it is opened, so
// no image can report who read it and when.
type safeLinks struct{}

func (safeLinks) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	anchor := func(w util.BufWriter, dest []byte, entering bool) {
		if !allowedLink(dest) {
			return
		}
		if entering {
			w.WriteString(`<a href="`)
			w.Write(util.EscapeHTML(dest))
			w.WriteString(`">`)
		} else {
			w.WriteString("</a>")
		}
	}
	reg.Register(ast.KindLink, func(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
		anchor(w, util.URLEscape(node.(*ast.Link).Destination, true), entering)
		return ast.WalkContinue, nil
	})
	reg.Register(ast.KindImage, func(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
		anchor(w, util.URLEscape(node.(*ast.Image).Destination, true), entering)
		return ast.WalkContinue, nil
	})
	reg.Register(ast.KindAutoLink, func(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		n := node.(*ast.AutoLink)
		dest := util.URLEscape(n.URL(source), false)
		if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(dest), []byte("mailto:")) {
			dest = append([]byte("mailto:"), dest...)
		}
		anchor(w, dest, true)
		w.Write(util.EscapeHTML(n.Label(source)))
		anchor(w, dest, false)
		return ast.WalkContinue, nil
	})
}

// allowedLink reports whether dest is a link a mail may carry.
func allowedLink(dest []byte) bool {
	d := bytes.ToLower(dest)
	for _, scheme := range []string{"https://", "http://", "mailto:", "tel:"} {
		if bytes.HasPrefix(d, []byte(scheme)) && len(d) > len(scheme) {
			return true
		}
	}
	return false
}

// body renders src for both parts of a mail: HTML, and plain text for
// the text part (plainText), where Markdown's marks would be noise.
func (m markdown) body(src string) (*body, error) {
	src = strings.TrimSpace(strings.ReplaceAll(src, "\r\n", "\n"))
	h, err := m.html(src)
	if err != nil {
		return nil, err
	}
	return &body{html: linkColour(h), text: m.plainText(src)}, nil
}

func (m markdown) html(src string) (string, error) {
	if strings.TrimSpace(src) == "" {
		return "", nil
	}
	var b bytes.Buffer
	if err := m.md.Convert([]byte(src), &b); err != nil {
		return "", fmt.Errorf("templates: Markdown: %w", err)
	}
	return b.String(), nil
}

// linkColour gives the body's links the KNF accent inline: the mail's
// stylesheet was inlined before the body was filled in, and some mail
// programs drop style elements.
func linkColour(html string) string {
	return strings.ReplaceAll(html, "<a href=", `<a style="color: `+colorAccent+`;" href=`)
}

// Markdown renders staff's Markdown for web pages, with the same rules as
// in mail: no raw HTML, no dangerous links. It is safe for concurrent use.
type Markdown struct{ m markdown }

// NewMarkdown returns a Markdown renderer.
func NewMarkdown() *Markdown { return &Markdown{newMarkdown()} }

// HTML renders src as HTML, styled by the page's stylesheet.
func (m *Markdown) HTML(src string) (string, error) { return m.m.html(src) }
