package subscribers

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// TopicsChannel is the PostgreSQL notification channel on which every
// change of the topics table is announced (a trigger, migration 00030).
const TopicsChannel = "rundbrief_topics"

// WatchTopics listens on TopicsChannel over a connection of its own to the
// database at dsn and calls changed whenever the topics may have changed:
// on every notification, and when the connection was lost and made again
// (a notification may have been missed meanwhile). It returns once it
// listens, or the error why it cannot; it stops listening when ctx ends.
func WatchTopics(ctx context.Context, dsn string, changed func()) error {
	l := pq.NewListener(dsn, time.Second, time.Minute, nil)
	if err := l.Listen(TopicsChannel); err != nil {
		l.Close()
		return fmt.Errorf("subscribers: listen for topic changes: %w", err)
	}
	go func() {
		defer l.Close()
		ping := time.NewTicker(90 * time.Second)
		defer ping.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-l.Notify: // nil after a reconnect: something may have been missed
				changed()
			case <-ping.C:
				l.Ping()
			}
		}
	}()
	return nil
}
