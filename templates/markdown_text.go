package templates

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// plainText renders staff's Markdown as the text part of a mail reads
// best: headings underlined ("=" under the first level, "-" under the
// others), emphasis without its asterisks, lists with dashes or numbers,
// links as "Text <URL>", tables as aligned columns, quotes with "> ". What
// the HTML part leaves out (raw HTML, links of other schemes than
// allowedLink's) the text leaves out too.
func (m markdown) plainText(src string) string {
	source := []byte(src)
	doc := m.md.Parser().Parse(text.NewReader(source))
	var blocks []string
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if b := blockText(n, source); b != "" {
			blocks = append(blocks, b)
		}
	}
	return strings.Join(blocks, "\n\n")
}

// blockText is one block of the document as text, without a trailing
// line break.
func blockText(n ast.Node, src []byte) string {
	switch n := n.(type) {
	case *ast.Heading:
		title := inlineText(n, src)
		rule := "-"
		if n.Level == 1 {
			rule = "="
		}
		return title + "\n" + strings.Repeat(rule, max(utf8.RuneCountInString(longestLine(title)), 3))
	case *ast.Paragraph, *ast.TextBlock:
		return inlineText(n, src)
	case *ast.List:
		return listText(n, src)
	case *ast.Blockquote:
		var parts []string
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			parts = append(parts, blockText(c, src))
		}
		return prefixLines(strings.Join(parts, "\n\n"), "> ", ">")
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		var b strings.Builder
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			b.Write(seg.Value(src))
		}
		return prefixLines(strings.TrimRight(b.String(), "\n"), "    ", "")
	case *ast.ThematicBreak:
		return "----------"
	case *east.Table:
		return tableText(n, src)
	case *ast.HTMLBlock:
		return "" // dropped, as in the HTML part
	}
	var parts []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if b := blockText(c, src); b != "" {
			parts = append(parts, b)
		}
	}
	return strings.Join(parts, "\n\n")
}

// listText writes a list: "- " before each item, or its number; the
// item's further lines and nested lists indented under its text.
func listText(l *ast.List, src []byte) string {
	var items []string
	num := l.Start
	for it := l.FirstChild(); it != nil; it = it.NextSibling() {
		marker := "- "
		if l.IsOrdered() {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		var parts []string
		for c := it.FirstChild(); c != nil; c = c.NextSibling() {
			if b := blockText(c, src); b != "" {
				parts = append(parts, b)
			}
		}
		sep := "\n"
		if !l.IsTight {
			sep = "\n\n"
		}
		body := strings.Join(parts, sep)
		indent := strings.Repeat(" ", utf8.RuneCountInString(marker))
		items = append(items, marker+strings.ReplaceAll(body, "\n", "\n"+indent))
	}
	sep := "\n"
	if !l.IsTight {
		sep = "\n\n"
	}
	return trimLineEnds(strings.Join(items, sep))
}

// tableText writes a table as columns padded to their widest cell, the
// header underlined with dashes.
func tableText(t *east.Table, src []byte) string {
	var rows [][]string
	for r := t.FirstChild(); r != nil; r = r.NextSibling() {
		var cells []string
		for c := r.FirstChild(); c != nil; c = c.NextSibling() {
			cells = append(cells, strings.ReplaceAll(inlineText(c, src), "\n", " "))
		}
		rows = append(rows, cells)
	}
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i, c := range cells {
			if i > 0 {
				l.WriteString("  ")
			}
			l.WriteString(c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	for i, r := range rows {
		line(r)
		if i == 0 {
			rule := make([]string, len(widths))
			for j, w := range widths {
				rule[j] = strings.Repeat("-", w)
			}
			line(rule)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// inlineText is the text of n's inline children: emphasis and code
// without their marks, links as "Text <URL>", line breaks kept.
func inlineText(n ast.Node, src []byte) string {
	return trimLineEnds(strings.TrimSpace(inlines(n, src)))
}

func inlines(n ast.Node, src []byte) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte('\n')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.RawHTML:
			// dropped, as in the HTML part
		case *ast.Link:
			b.WriteString(linkText(inlines(c, src), c.Destination))
		case *ast.Image:
			b.WriteString(linkText(inlines(c, src), c.Destination))
		case *ast.AutoLink:
			url := c.URL(src)
			if c.AutoLinkType == ast.AutoLinkEmail || allowedLink(url) {
				b.Write(url)
			} else {
				b.Write(c.Label(src))
			}
		default:
			b.WriteString(inlines(c, src))
		}
	}
	return b.String()
}

// linkText is a link's text and, for a link a mail may carry, its
// address in angle brackets; an address that is its own text once.
func linkText(label string, dest []byte) string {
	label = strings.TrimSpace(label)
	url := string(dest)
	switch {
	case !allowedLink(dest):
		return label
	case label == "" || label == url || "mailto:"+label == url || "tel:"+label == url:
		return strings.TrimPrefix(strings.TrimPrefix(url, "mailto:"), "tel:")
	}
	return label + " <" + url + ">"
}

// prefixLines puts prefix before every line of s, and blank before empty
// ones.
func prefixLines(s, prefix, blank string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = blank
		} else {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// trimLineEnds removes the spaces at the ends of lines.
func trimLineEnds(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

// longestLine is the longest line of s.
func longestLine(s string) string {
	longest := ""
	for _, l := range strings.Split(s, "\n") {
		if utf8.RuneCountInString(l) > utf8.RuneCountInString(longest) {
			longest = l
		}
	}
	return longest
}
