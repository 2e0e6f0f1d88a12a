package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

//go:embed pages/*.html
var pageFiles embed.FS

// The page templates. Each is the base layout with its own "content".
var pageNames = []string{"message", "subscribe", "preferences", "event", "events", "registration", "archive", "archived"}

func parsePages() (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(template.FuncMap{"pageForm": pageForm, "pageField": pageField, "pageQuestions": pageQuestions}).
			ParseFS(pageFiles, "pages/base.html", "pages/fields.html", "pages/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// page is what every page template gets.
type page struct {
	Lang         i18n.Lang
	Title        string
	Name         string
	Impressum    string
	ImpressumURL string
	PrivacyURL   string
	// SwitchURL shows this page in the other language.
	SwitchURL string
	// keep is "?lang=xx" when the language was chosen with ?lang=, so
	// links and forms keep it; else "".
	keep string
	copy map[string]string

	Message *message
	Form    *formView
	Notice  string
	Event   *eventView
	Events  *eventsView
	Archive *archiveView

	Registration *registrationView
}

// pageAndForm hands a form's page and form to the shared field templates.
type pageAndForm struct {
	Page *page
	Form *formView
}

func pageForm(p *page, f *formView) pageAndForm { return pageAndForm{p, f} }

// pageAndField and pageAndQuestions hand a page and a registration form's
// questions to the shared templates "question" and "questions".
type pageAndField struct {
	Page  *page
	Field questionField
}

type pageAndQuestions struct {
	Page      *page
	Questions *questionsView
}

func pageField(p *page, f questionField) pageAndField { return pageAndField{p, f} }

func pageQuestions(p *page, q *questionsView) pageAndQuestions { return pageAndQuestions{p, q} }

// message is the content of a page that says something and offers at most
// one button and a few links.
type message struct {
	Paragraphs []string
	Button     *button
	Links      []link
}

type button struct {
	Action string
	Label  string
	Danger bool
}

type link struct {
	URL   string
	Label string
}

// T is the page's copy for key. A missing key shows as such, and a test
// renders every page to make sure none is.
func (p *page) T(key string) string {
	if s, ok := p.copy[key]; ok {
		return s
	}
	return "MISSING:" + key
}

// Tf is the page's copy for key with its placeholders filled in:
// Tf("register.hint", "Höchstens", "4").
func (p *page) Tf(key string, vars ...string) string {
	s := p.T(key)
	for i := 0; i+1 < len(vars); i += 2 {
		s = strings.ReplaceAll(s, "{"+vars[i]+"}", vars[i+1])
	}
	return s
}

// count is n of a thing in words: "1 Person", "3 Personen" (one and many
// are texts of their own, woerter.ONE and woerter.MANY).
func (p *page) count(n int, one, many string) string {
	if n == 1 {
		return p.T("woerter." + one)
	}
	return p.Tf("woerter."+many, "Anzahl", strconv.Itoa(n))
}

// URL is path with the language kept, if it was chosen explicitly.
func (p *page) URL(path string) string { return path + p.keep }

// newPage starts a page in the language the request and subscriber call for.
// back is the GET address of the page, for the language switch; "" means
// the request's own path for a GET, and the subscription form otherwise.
func (s *Server) newPage(r *http.Request, l i18n.Lang, titleKey, back string) *page {
	switch {
	case back != "":
	case r.Method == http.MethodGet:
		back = r.URL.Path
	default:
		back = "/"
	}
	p := &page{
		Lang: l, Name: s.cfg.Name, Impressum: s.cfg.Impressum,
		ImpressumURL: s.cfg.ImpressumURL, PrivacyURL: s.cfg.PrivacyURL,
		copy: s.copy[l],
	}
	if explicitLang(r) != "" {
		p.keep = "?lang=" + string(l)
	}
	p.SwitchURL = back + "?lang=" + p.T("lang.switchLang")
	p.Title = p.T(titleKey)
	return p
}

// render writes the page with status. Pages are rendered into a buffer
// first, so that a template error gives a clean 500 and not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, status int, p *page) {
	if body, ok := s.renderBytes(w, r, name, p); ok {
		writePage(w, status, p.Lang, body)
	}
}

// renderBytes renders the page, or answers 500 and reports false.
func (s *Server) renderBytes(w http.ResponseWriter, r *http.Request, name string, p *page) ([]byte, bool) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "base", p); err != nil {
		s.cfg.Logger.Error("rendering a page failed", "page", name, "error", err)
		if name == "message" { // the error page itself: plain text, no loop
			http.Error(w, "500 internal server error", http.StatusInternalServerError)
			return nil, false
		}
		s.fail(w, r, http.StatusInternalServerError)
		return nil, false
	}
	return buf.Bytes(), true
}

// writePage writes a rendered page in lang with status.
func writePage(w http.ResponseWriter, status int, lang i18n.Lang, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", string(lang))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// say renders a message page: the title and paragraphs named by keys, with
// an optional button and links.
func (s *Server) say(w http.ResponseWriter, r *http.Request, status int, p *page, paragraphs []string, b *button, links ...link) {
	m := &message{Button: b, Links: links}
	for _, key := range paragraphs {
		m.Paragraphs = append(m.Paragraphs, p.T(key))
	}
	p.Message = m
	s.render(w, r, "message", status, p)
}

// fail answers status with a page that explains it in the browser's
// language and links to the subscription form.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int) {
	p := s.newPage(r, pageLang(r, nil), "fail."+strconv.Itoa(status)+".title", "/")
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "120")
	}
	s.say(w, r, status, p, []string{"fail." + strconv.Itoa(status) + ".text"}, nil,
		link{URL: p.URL("/"), Label: p.T("fail.home")})
}
