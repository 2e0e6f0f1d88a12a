package web

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// archiveView is the archive's list, or one newsletter of it.
type archiveView struct {
	Items []archiveItem
	// One newsletter: when it was sent and its text, without anything
	// personal (no greeting, no links of a recipient).
	Sent string
	Body template.HTML
}

type archiveItem struct{ URL, Title, Sent string }

// archivePage lists the campaigns staff chose for the archive, newest
// first: a newsletter links to its page, an invitation to its event.
func (s *Server) archivePage(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Campaigns == nil {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	cs, err := s.cfg.Campaigns.Archive(r.Context())
	if err != nil {
		s.internal(w, r, "listing the archive", err)
		return
	}
	l := pageLang(r, nil)
	p := s.newPage(r, l, "", "")
	p.Title = p.T("archive.title")
	v := &archiveView{}
	for _, c := range cs {
		item := archiveItem{URL: p.URL(paths{}.Archived(c.ID)), Title: archiveTitle(c, l), Sent: templates.Date(l, c.StartedAt.In(events.Berlin()))}
		if c.Kind == campaigns.KindInvitation {
			item.URL, item.Title = p.URL(paths{}.Event(c.EventSlug)), p.T("archive.invitation")+" "+c.EventTitle
		}
		v.Items = append(v.Items, item)
	}
	p.Archive = v
	s.render(w, r, "archive", http.StatusOK, p)
}

// archiveTitle is a newsletter's subject in l, the German one without an
// English version.
func archiveTitle(c *campaigns.Campaign, l i18n.Lang) string {
	if l == i18n.English && c.SubjectEN != "" {
		return c.SubjectEN
	}
	return c.Subject
}

// archived loads the campaign of the request's {id} if it is in the
// archive, or answers 404.
func (s *Server) archived(w http.ResponseWriter, r *http.Request) (*campaigns.Campaign, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if s.cfg.Campaigns == nil || err != nil || id <= 0 {
		s.fail(w, r, http.StatusNotFound)
		return nil, false
	}
	c, err := s.cfg.Campaigns.Archived(r.Context(), id)
	switch {
	case errors.Is(err, campaigns.ErrNotFound):
		s.fail(w, r, http.StatusNotFound)
		return nil, false
	case err != nil:
		s.internal(w, r, "loading an archived campaign", err)
		return nil, false
	}
	return c, true
}

// archivedPage shows a newsletter of the archive as a web page: its
// subject, when it was sent, and its text with its pictures.
func (s *Server) archivedPage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.archived(w, r)
	if !ok {
		return
	}
	if c.Kind == campaigns.KindInvitation {
		http.Redirect(w, r, paths{}.Event(c.EventSlug), http.StatusSeeOther)
		return
	}
	files, err := s.cfg.Campaigns.Files(r.Context(), c.ID)
	if err != nil {
		s.internal(w, r, "loading a newsletter's pictures", err)
		return
	}
	l := pageLang(r, nil)
	p := s.newPage(r, l, "", "")
	p.Title = archiveTitle(c, l)
	body := c.Body
	if l == i18n.English && c.BodyEN != "" {
		body = c.BodyEN
	}
	pictures := map[string]templates.Picture{}
	names := map[string]string{}
	for _, f := range files {
		if f.ContentID != "" {
			pictures[f.ContentID], names[f.ContentID] = templates.Picture{Width: f.Width, Height: f.Height}, f.Name
		}
	}
	html, err := s.markdown.HTMLWithPictures(body, pictures, func(id string) string { return paths{}.ArchivedFile(c.ID, names[id]) })
	if err != nil {
		s.internal(w, r, "rendering a newsletter", err)
		return
	}
	p.Archive = &archiveView{Sent: templates.Date(l, c.StartedAt.In(events.Berlin())), Body: template.HTML(html)} // goldmark without raw HTML: safe
	s.render(w, r, "archived", http.StatusOK, p)
}

// archivedFile serves a picture of a newsletter in the archive.
func (s *Server) archivedFile(w http.ResponseWriter, r *http.Request) {
	c, ok := s.archived(w, r)
	if !ok {
		return
	}
	files, err := s.cfg.Campaigns.Files(r.Context(), c.ID)
	if err != nil {
		s.internal(w, r, "loading a newsletter's pictures", err)
		return
	}
	for _, f := range files {
		if f.ContentID != "" && f.Name == r.PathValue("name") {
			h := w.Header()
			h.Set("Content-Type", f.ContentType)
			h.Set("Cache-Control", "public, max-age=86400")
			h.Set("X-Content-Type-Options", "nosniff")
			w.Write(f.Data)
			return
		}
	}
	s.fail(w, r, http.StatusNotFound)
}
