package campaigns

import (
	"context"
	"fmt"
)

// archived is the condition of a campaign in the public archive: chosen
// for it, and sent (or being sent).
const archived = ` WHERE c.archive AND c.status IN ('sending', 'done') AND c.started_at IS NOT NULL`

// Archive returns the campaigns of the public archive (/rundbrief), the
// most recently sent first.
func (s *Store) Archive(ctx context.Context) ([]*Campaign, error) {
	var rows []campaignRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+campaignColumns+campaignFrom+archived+` ORDER BY c.started_at DESC, c.id DESC`); err != nil {
		return nil, fmt.Errorf("campaigns: archive: %w", err)
	}
	out := make([]*Campaign, len(rows))
	for i := range rows {
		out[i] = rows[i].campaign()
	}
	return out, s.nameEvents(ctx, out...)
}

// Archived returns campaign id if it is in the public archive, or
// ErrNotFound: a draft, a campaign not chosen for the archive, and one
// not sent are not public.
func (s *Store) Archived(ctx context.Context, id int64) (*Campaign, error) {
	c, err := getCampaign(ctx, s.db, `SELECT `+campaignColumns+campaignFrom+archived+` AND c.id = $1`, id)
	if err != nil {
		return nil, err
	}
	return c, s.nameEvents(ctx, c)
}
