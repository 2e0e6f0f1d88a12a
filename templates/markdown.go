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
	if src == "" {
		return &body{}, nil
	}
	var b bytes.Buffer
	if err := m.md.Convert([]byte(src), &b); err != nil {
		return nil, fmt.Errorf("templates: Markdown: %w", err)
	}
	return &body{html: b.String(), text: src}, nil
}

// Markdown renders staff's Markdown for web pages, with the same rules as
// in mail: no raw HTML, no dangerous links. It is safe for concurrent use.
type Markdown struct{ m markdown }

// NewMarkdown returns a Markdown renderer.
func NewMarkdown() *Markdown { return &Markdown{newMarkdown()} }

// HTML renders src as HTML.
func (m *Markdown) HTML(src string) (string, error) {
	b, err := m.m.body(src)
	if err != nil {
		return "", err
	}
	return b.html, nil
}
