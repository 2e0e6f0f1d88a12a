package templates

import (
	"bytes"
	"fmt"
	"regexp"
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

func newMarkdown() markdown { return newMarkdownWith(nil) }

// newMarkdownWith is markdown that shows the pictures carried inline:
// an image whose address is "cid:" and a key of pictures.
func newMarkdownWith(pictures map[string]Picture) markdown { return newMarkdownAt(pictures, nil) }

// newMarkdownAt is markdown that shows the pictures at the addresses src
// gives for their Content-IDs (a web page's), or as "cid:" when src is
// nil (a mail's).
func newMarkdownAt(pictures map[string]Picture, src func(id string) string) markdown {
	return markdown{md: goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
		// No html.WithUnsafe: raw HTML becomes a comment.
		goldmark.WithRendererOptions(html.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(safeLinks{pictures: pictures, src: src}, 100))),
	)}
}

// Picture is a picture a newsletter carries inline, by its Content-ID:
// its size in pixels.
type Picture struct{ Width, Height int }

// pictureWidth is the widest a picture is shown in a mail: the body's
// width.
const pictureWidth = 520

// safeLinks renders links only to web pages, mail addresses and phone
// numbers (http, https, mailto, tel); any other link is its text alone.
// A Markdown image becomes a link to it, its alt text the link's text: a
// mail from the office loads nothing from elsewhere when it is opened, so
// no image can report who read it and when. Only a picture the mail
// carries itself ("cid:", one of pictures) is shown.
type safeLinks struct {
	pictures map[string]Picture
	src      func(id string) string // where a picture is on the web; nil: "cid:"
}

func (sl safeLinks) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
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
	reg.Register(ast.KindImage, func(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
		img := node.(*ast.Image)
		id, isCID := strings.CutPrefix(string(img.Destination), "cid:")
		if p, ok := sl.pictures[id]; isCID && ok && entering {
			width, height := p.Width, p.Height
			if width > pictureWidth {
				width, height = pictureWidth, max(1, p.Height*pictureWidth/p.Width)
			}
			addr := "cid:" + id
			if sl.src != nil {
				addr = sl.src(id)
			}
			fmt.Fprintf(w, `<img src="%s" alt="%s" width="%d" height="%d" style="display:block;max-width:100%%;height:auto;border:0;margin:12px 0">`,
				util.EscapeHTML([]byte(addr)), util.EscapeHTML([]byte(plainAlt(img, source))), width, height)
			return ast.WalkSkipChildren, nil
		}
		anchor(w, util.URLEscape(img.Destination, true), entering)
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

// plainAlt is an image's alt text: the text of its children.
func plainAlt(img *ast.Image, source []byte) string {
	return strings.Join(strings.Fields(inlines(img, source)), " ")
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
	return &body{html: styleBody(linkColour(h)), text: m.plainText(src)}, nil
}

// bodyTag matches the opening tags of the body's HTML that get inline
// styles: goldmark writes them, without raw HTML, so each is a plain tag
// or carries only an alignment.
var bodyTag = regexp.MustCompile(`<(h[1-6]|table|th|td|blockquote|hr)(\s[^>]*)?>|</h[1-6]>`)

// styleBody styles the body's HTML inline, for mail programs that drop
// style elements; the body is filled in after the layout's stylesheet was
// inlined. Its headings go one level down, since the mail's title is its
// one h1, and stay smaller than the title; its tables get borders,
// padding and header cells that say they head a column.
func styleBody(h string) string {
	const heading = "margin: 21px 0 8px; color: #2F3133; font-weight: bold; "
	sizes := map[string]string{"h1": "h2", "h2": "h3", "h3": "h4", "h4": "h5", "h5": "h6", "h6": "h6"}
	fontSize := map[string]string{"h2": "17px", "h3": "15px", "h4": "15px", "h5": "14px", "h6": "14px"}
	return bodyTag.ReplaceAllStringFunc(h, func(tag string) string {
		if strings.HasPrefix(tag, "</h") {
			return "</" + sizes[tag[2:4]] + ">"
		}
		m := bodyTag.FindStringSubmatch(tag)
		name, attrs := m[1], m[2]
		style := ""
		if i := strings.Index(attrs, `style="`); i >= 0 { // goldmark's alignment
			end := strings.IndexByte(attrs[i+7:], '"')
			style, attrs = attrs[i+7:i+7+end]+"; ", attrs[:i]+attrs[i+8+end:]
		}
		switch name {
		case "table":
			return `<table role="table" cellpadding="0" cellspacing="0"` + attrs + ` style="border-collapse: collapse; margin: 0 0 21px; width: 100%;">`
		case "th":
			return `<th scope="col"` + attrs + ` style="` + style + `border: 1px solid #C9CDD2; padding: 6px 8px; text-align: left; background: #F2F4F6; font-weight: bold;">`
		case "td":
			return `<td` + attrs + ` style="` + style + `border: 1px solid #C9CDD2; padding: 6px 8px; vertical-align: top;">`
		case "blockquote":
			return `<blockquote style="margin: 0 0 21px; padding-left: 12px; border-left: 4px solid #C9CDD2;">`
		case "hr":
			return `<hr style="border: 0; border-top: 1px solid #EDEFF2; margin: 21px 0;">`
		}
		level := sizes[name]
		return "<" + level + attrs + ` style="` + heading + "font-size: " + fontSize[level] + `;">`
	})
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

// HTMLWithPictures renders src as HTML for a web page, showing the
// pictures a newsletter carries (![Alt](cid:ID), ID a key of pictures)
// from the address url gives.
func (m *Markdown) HTMLWithPictures(src string, pictures map[string]Picture, url func(id string) string) (string, error) {
	return newMarkdownAt(pictures, url).html(src)
}
