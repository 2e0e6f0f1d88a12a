package subscribers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/postgres"
)

// ErrTopicExists is returned by AddTopic for a slug that is taken.
var ErrTopicExists = errors.New("subscribers: a topic with this slug exists already")

// slugPattern is the form of a topic slug, as the schema checks it.
var slugPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

// Topics returns every topic, by slug.
func (s *Store) Topics(ctx context.Context) ([]Topic, error) { return loadTopics(ctx, s.db) }

func loadTopics(ctx context.Context, q sqlx.QueryerContext) ([]Topic, error) {
	var ts []Topic
	if err := sqlx.SelectContext(ctx, q, &ts, `SELECT slug, title_de, title_en FROM topics ORDER BY slug`); err != nil {
		return nil, fmt.Errorf("subscribers: topics: %w", err)
	}
	return ts, nil
}

// TopicTitles returns the titles in lang of the topics named by slugs, in
// their order; slugs that are not in all are left out.
func TopicTitles(all []Topic, slugs []string, lang i18n.Lang) []string {
	bySlug := topicsBySlug(all)
	titles := make([]string, 0, len(slugs))
	for _, slug := range slugs {
		if t, ok := bySlug[slug]; ok {
			titles = append(titles, t.Title(lang))
		}
	}
	return titles
}

// AddTopic adds a topic subscribers can choose. The slug is 2 to 40
// characters: lower-case letters, digits and hyphens, starting with a letter.
func (s *Store) AddTopic(ctx context.Context, t Topic) error {
	t.Slug = strings.TrimSpace(t.Slug)
	if !slugPattern.MatchString(t.Slug) {
		return fmt.Errorf("subscribers: topic slug %q: use 2 to 40 lower-case letters, digits and hyphens, starting with a letter (e.g. ausbildung)", t.Slug)
	}
	var err error
	for _, title := range []*string{&t.TitleDE, &t.TitleEN} {
		if *title, err = CleanText(*title, MaxNameLength); err != nil {
			return fmt.Errorf("subscribers: topic title: %w", err)
		}
		if *title == "" {
			return fmt.Errorf("subscribers: topic %q needs a German and an English title", t.Slug)
		}
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO topics (slug, title_de, title_en) VALUES ($1, $2, $3)`,
		t.Slug, t.TitleDE, t.TitleEN)
	if postgres.IsUniqueViolation(err) {
		return fmt.Errorf("%w: %s", ErrTopicExists, t.Slug)
	}
	if err != nil {
		return fmt.Errorf("subscribers: add topic: %w", err)
	}
	return nil
}

// topicSet loads the known topics, keyed by slug.
func topicSet(ctx context.Context, q sqlx.QueryerContext) (map[string]Topic, error) {
	ts, err := loadTopics(ctx, q)
	if err != nil {
		return nil, err
	}
	return topicsBySlug(ts), nil
}

func topicsBySlug(ts []Topic) map[string]Topic {
	m := make(map[string]Topic, len(ts))
	for _, t := range ts {
		m[t.Slug] = t
	}
	return m
}

// ResolveTopic finds, among topics, the topic s names: its slug, or its
// German or English title, without regard to case or surrounding space.
func ResolveTopic(topics []Topic, s string) (slug string, ok bool) {
	return resolveTopic(s, topicsBySlug(topics))
}

// resolveTopic finds the topic s names: its slug, or its German or English
// title, without regard to case or surrounding space.
func resolveTopic(s string, known map[string]Topic) (string, bool) {
	s = strings.TrimSpace(s)
	if _, ok := known[s]; ok {
		return s, true
	}
	for slug, t := range known {
		if strings.EqualFold(s, slug) || strings.EqualFold(s, t.TitleDE) || strings.EqualFold(s, t.TitleEN) {
			return slug, true
		}
	}
	return "", false
}
