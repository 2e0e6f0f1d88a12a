package subscribers

import (
	"context"
	"time"
)

// Export is everything rundbrief stores about one subscriber, for their
// right of access (DSGVO Art. 15) and to data portability (Art. 20). It is
// written as JSON; the field names are part of what a subscriber receives,
// so they stay stable.
type Export struct {
	ExportedAt time.Time `json:"exported_at"`
	*Subscriber
	// Topics shadows Subscriber.Topics: the slugs with their titles.
	Topics     []ExportTopic  `json:"topics"`
	ConsentLog []ConsentEntry `json:"consent_log"`
	Mails      []Mail         `json:"mails"`
}

// ExportTopic is a chosen topic with its titles.
type ExportTopic struct {
	Slug    string `json:"slug"`
	TitleDE string `json:"title_de"`
	TitleEN string `json:"title_en"`
}

// Export gathers everything stored about the subscriber with id.
func (s *Store) Export(ctx context.Context, id int64, now time.Time) (*Export, error) {
	sub, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	all, err := s.Topics(ctx)
	if err != nil {
		return nil, err
	}
	log, err := s.ConsentLog(ctx, id)
	if err != nil {
		return nil, err
	}
	mails, err := s.Mails(ctx, id)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = []ConsentEntry{}
	}
	if mails == nil {
		mails = []Mail{}
	}
	bySlug := topicsBySlug(all)
	topics := make([]ExportTopic, 0, len(sub.Topics))
	for _, slug := range sub.Topics {
		t := bySlug[slug]
		topics = append(topics, ExportTopic{Slug: slug, TitleDE: t.TitleDE, TitleEN: t.TitleEN})
	}
	return &Export{ExportedAt: now.UTC(), Subscriber: sub, Topics: topics, ConsentLog: log, Mails: mails}, nil
}
