package web

import (
	"context"
	"sync"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// formCache keeps the topics, and the empty subscription form as
// rendered per language and whether the language was chosen in the link
// (?lang=, which the page's links keep): the form is the same page for
// everyone, and both change only with the topics. It is on only while
// the topics are watched (WatchTopics); a change of them empties it.
type formCache struct {
	mu      sync.RWMutex
	on      bool
	version uint64 // counts the changes, so that what was read before one is not kept
	pages   map[formKey][]byte
	topics  []subscribers.Topic
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

// invalidate forgets every page and the topics.
func (c *formCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version++
	clear(c.pages)
	c.topics = nil
}

// topics returns the topics, kept while the topics are watched. Callers
// must not change the slice.
func (s *Server) topics(ctx context.Context) ([]subscribers.Topic, error) {
	c := &s.form
	c.mu.RLock()
	topics, on, version := c.topics, c.on, c.version
	c.mu.RUnlock()
	if on && topics != nil {
		return topics, nil
	}
	topics, err := s.cfg.Store.Topics(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.on && c.version == version {
		c.topics = topics
	}
	c.mu.Unlock()
	return topics, nil
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
		s.form.topics = nil
	})
	return nil
}
