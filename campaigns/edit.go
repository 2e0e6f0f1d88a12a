package campaigns

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/postgres"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// Edit is a change to a campaign not yet sent; a nil field stays as it is.
type Edit struct {
	// Subject and Body, and the English ones, are a newsletter's words;
	// an English subject and body both empty remove the English version.
	Subject, Body, SubjectEN, BodyEN *string
	// Intro and IntroEN are an invitation's own paragraph; an
	// invitation's Subject and SubjectEN its own subject ("" for the one
	// made from the event's title).
	Intro, IntroEN *string
	// Audience replaces the audience (not of a campaign to the people
	// registered for its event).
	Audience *subscribers.Audience
	// Note is what changed (an update), why (a cancellation) or the
	// staff's sentence in a reminder.
	Note *string
	// Greeting is how the mails greet.
	Greeting *Greeting
	// Files replaces the attachments and pictures (see File).
	Files *[]File
	// Archive shows the campaign in the public archive once sent.
	Archive *bool
}

// Edit changes campaign id as e says, with the checks of Create, while it
// is a draft or scheduled; a campaign that started meanwhile is refused
// with a StatusError.
func (s *Store) Edit(ctx context.Context, id int64, e Edit) (*Campaign, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Status != StatusDraft && c.Status != StatusScheduled {
		return nil, statusError(c, "only a draft or a scheduled campaign can be edited")
	}
	next := *c
	pick := func(v *string, old string) string {
		if v != nil {
			return *v
		}
		return old
	}
	if c.Kind.AboutEvent() && (e.Subject != nil || e.SubjectEN != nil || e.Intro != nil || e.IntroEN != nil) {
		if e.Body != nil || e.BodyEN != nil {
			return nil, invalid("body", ProblemWordsOfEvent)
		}
		if next.Subject, next.SubjectEN, next.Intro, next.IntroEN, err = checkOwnWords(c.Kind,
			pick(e.Subject, c.Subject), pick(e.SubjectEN, c.SubjectEN), pick(e.Intro, c.Intro), pick(e.IntroEN, c.IntroEN)); err != nil {
			return nil, err
		}
	} else if e.Intro != nil || e.IntroEN != nil {
		return nil, invalid("intro", ProblemIntroOfInvitation)
	} else if e.Subject != nil || e.Body != nil || e.SubjectEN != nil || e.BodyEN != nil {
		if c.Kind != KindNewsletter && c.Kind != KindFollowUp {
			return nil, invalid("subject", ProblemWordsOfEvent)
		}
		if next.Subject, next.Body, err = checkText(pick(e.Subject, c.Subject), pick(e.Body, c.Body), "", true); err != nil {
			return nil, err
		}
		if next.SubjectEN, next.BodyEN, err = checkText(pick(e.SubjectEN, c.SubjectEN), pick(e.BodyEN, c.BodyEN), "-en", false); err != nil {
			return nil, err
		}
	}
	if e.Note != nil {
		if c.Kind == KindNewsletter || c.Kind == KindInvitation || c.Kind == KindFollowUp {
			return nil, invalid("note", ProblemNoteOfNotice)
		}
		if next.Note = strings.TrimSpace(*e.Note); len([]rune(next.Note)) > MaxNote {
			return nil, &InvalidError{Field: "note", Problem: ProblemTooLong, Limit: MaxNote}
		}
	}
	if e.Greeting != nil {
		if *e.Greeting != GreetingFormal && *e.Greeting != GreetingNeutral {
			return nil, &InvalidError{Field: "anrede", Problem: ProblemGreeting, Value: string(*e.Greeting)}
		}
		next.Greeting = *e.Greeting
	}
	if e.Audience != nil {
		if c.ToRegistered {
			return nil, invalid("audience", ProblemToRegistered)
		}
		a := *e.Audience
		a.Event = c.EventID != nil
		if next.Audience, err = s.subscribers.CheckAudience(ctx, a); err != nil {
			return nil, err
		}
	}
	if e.Files != nil {
		if err := s.replaceFiles(ctx, next, *e.Files); err != nil {
			return nil, err
		}
	}
	if e.Archive != nil {
		if *e.Archive && c.Kind != KindNewsletter && c.Kind != KindInvitation {
			return nil, invalid("archive", ProblemArchive)
		}
		next.Archive = *e.Archive
	}
	return s.transition(ctx, c, `subject = $2, body = $3, subject_en = $4, body_en = $5, note = $6,
		audience_kinds = $7, audience_topics = $8, greeting = $9, intro = $10, intro_en = $11, archive = $12`, []Status{StatusDraft, StatusScheduled},
		"only a draft or a scheduled campaign can be edited",
		next.Subject, next.Body, next.SubjectEN, next.BodyEN, next.Note,
		pq.StringArray(kindStrings(next.Audience.Kinds)), pq.StringArray(next.Audience.Topics), next.Greeting, next.Intro, next.IntroEN, next.Archive)
}

// Delete removes campaign id while it is a draft; a campaign scheduled,
// being sent or sent stays (a scheduled one can be cancelled), since its
// deliveries are the record of what went out.
func (s *Store) Delete(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM campaigns WHERE id = $1 AND status = 'draft'`, id)
	if err != nil {
		return fmt.Errorf("campaigns: delete: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		c, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		return statusError(c, "only a draft can be deleted")
	}
	return nil
}

// replaceFiles replaces the files of c, still a draft or scheduled, by
// files.
func (s *Store) replaceFiles(ctx context.Context, c Campaign, files []File) error {
	if err := checkFiles(files); err != nil {
		return err
	}
	if c.Kind != KindNewsletter && slices.ContainsFunc(files, func(f File) bool { return f.ContentID != "" }) {
		return invalid("picture", ProblemPicture)
	}
	return postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var status Status
		if err := tx.GetContext(ctx, &status, `SELECT status FROM campaigns WHERE id = $1 FOR UPDATE`, c.ID); err != nil {
			return fmt.Errorf("campaigns: files: %w", err)
		}
		if status != StatusDraft && status != StatusScheduled {
			c.Status = status
			return statusError(&c, "only a draft or a scheduled campaign can be edited")
		}
		return setFiles(ctx, tx, c.ID, files)
	})
}
