package templates

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// markdown turns staff's Markdown (CommonMark with GitHub's tables,
// strikethrough and autolinks) into the HTML of a mail body. Raw HTML in the
// source is dropped and links with a dangerous scheme (javascript:, data:
// and the like) are removed, so a description pasted from elsewhere cannot
// put script or markup into a mail.
type markdown struct {
	md goldmark.Markdown
}

func newMarkdown() markdown {
	return markdown{md: goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
		// No html.WithUnsafe: raw HTML becomes a comment.
		goldmark.WithRendererOptions(html.WithHardWraps()),
	)}
}

// body renders src for both parts of a mail: HTML, and for the text part
// the Markdown itself, which reads well as plain text.
func (m markdown) body(src string) (*body, error) {
	src = strings.TrimSpace(strings.ReplaceAll(src, "\r\n", "\n"))
	h, err := m.html(src)
	if err != nil {
		return nil, err
	}
	return &body{html: linkColour(h), text: src}, nil
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
