package web

import (
	"context"
	"sync"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// formCache keeps the empty subscription form as rendered, per language
// and whether the language was chosen in the link (?lang=, which the
// page's links keep): it is the same page for everyone, and it changes
// only with the topics. It is on only while the topics are watched
// (WatchTopics); a change of them empties it.
type formCache struct {
	mu      sync.RWMutex
	on      bool
	version uint64 // counts the changes, so that a page rendered before one is not kept
	pages   map[formKey][]byte
}

type formKey struct {
	lang     i18n.Lang
	explicit bool
}

// get returns the cached page for k, and the version to put a new one
// under when there is none.
func (c *formCache) get(k formKey) ([]byte, uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	body, ok := c.pages[k]
	return body, c.version, c.on && ok
}

// put keeps body for k if the topics have not changed since version.
func (c *formCache) put(k formKey, version uint64, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on || version != c.version {
		return
	}
	if c.pages == nil {
		c.pages = map[formKey][]byte{}
	}
	c.pages[k] = body
}

// invalidate forgets every page.
func (c *formCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version++
	clear(c.pages)
}

// WatchTopics listens for changes of the topics in the database at dsn
// (subscribers.WatchTopics) until ctx ends, and meanwhile serves the
// subscription form from a rendering kept per language, made anew after
// each change. Without it, the form is rendered for every request.
func (s *Server) WatchTopics(ctx context.Context, dsn string) error {
	if err := subscribers.WatchTopics(ctx, dsn, s.form.invalidate); err != nil {
		return err
	}
	s.form.mu.Lock()
	s.form.on = true
	s.form.mu.Unlock()
	context.AfterFunc(ctx, func() {
		s.form.mu.Lock()
		defer s.form.mu.Unlock()
		s.form.on = false
		clear(s.form.pages)
	})
	return nil
}
