package worker

import (
	"context"
	"sync"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/maillog"
)

// outcomeLog writes the outcomes of all the batches a worker sends at
// once, in as few statements as it may: no batch may have more than limit
// outcomes unrecorded (a worker killed sends at most that many per
// connection again), so a batch that reaches the limit writes, and with
// its own outcomes those every other batch has pending. With eight
// connections a statement carries about forty outcomes instead of ten,
// and PostgreSQL and the worker spend a quarter of the round trips.
type outcomeLog struct {
	limit int
	// write records outcomes and returns the IDs written; it may take
	// long (it retries while PostgreSQL is away).
	write func(context.Context, []campaigns.ClaimedOutcome) ([]int64, error)

	mu       sync.Mutex
	cond     *sync.Cond
	pending  []pendingOutcome
	flushing bool
}

type pendingOutcome struct {
	campaigns.ClaimedOutcome
	of *batchOutcomes
}

func newOutcomeLog(limit int, write func(context.Context, []campaigns.ClaimedOutcome) ([]int64, error)) *outcomeLog {
	l := &outcomeLog{limit: limit, write: write}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// batchOutcomes is one claimed batch's share of the log.
type batchOutcomes struct {
	log        *outcomeLog
	claim      *campaigns.Batch
	unrecorded int // pending or being written; guarded by log.mu
	lost       int // written by no statement: the claim was lost
	err        error
}

// begin starts the outcomes of claim.
func (l *outcomeLog) begin(claim *campaigns.Batch) *batchOutcomes {
	return &batchOutcomes{log: l, claim: claim}
}

// add puts o in the log. It returns once fewer than the limit of the
// batch's outcomes are unrecorded, writing them (with all others
// pending) itself when no other batch is writing; or with the error of
// the write that failed to record them.
func (b *batchOutcomes) add(ctx context.Context, o maillog.Outcome) error {
	l := b.log
	l.mu.Lock()
	defer l.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	l.pending = append(l.pending, pendingOutcome{ClaimedOutcome: campaigns.ClaimedOutcome{Batch: b.claim, Outcome: o}, of: b})
	b.unrecorded++
	return l.waitBelow(ctx, b, l.limit)
}

// close returns once all of the batch's outcomes are written, with how
// many of them were lost to another worker, or the error of the write
// that failed to record them.
func (b *batchOutcomes) close(ctx context.Context) (lost int, err error) {
	l := b.log
	l.mu.Lock()
	defer l.mu.Unlock()
	err = l.waitBelow(ctx, b, 1)
	return b.lost, err
}

// waitBelow returns, with l.mu held, once b has fewer than n outcomes
// unrecorded, writing the pending outcomes whenever no write runs.
func (l *outcomeLog) waitBelow(ctx context.Context, b *batchOutcomes, n int) error {
	for b.unrecorded >= n && b.err == nil {
		if l.flushing {
			l.cond.Wait()
			continue
		}
		l.flush(ctx)
	}
	return b.err
}

// flush writes every pending outcome in one statement; l.mu is held on
// entry and exit, and released while writing.
func (l *outcomeLog) flush(ctx context.Context) {
	taken := l.pending
	l.pending = nil
	l.flushing = true
	l.mu.Unlock()
	outs := make([]campaigns.ClaimedOutcome, len(taken))
	for i, p := range taken {
		outs[i] = p.ClaimedOutcome
	}
	written, err := l.write(ctx, outs)
	l.mu.Lock()
	l.flushing = false
	ok := make(map[int64]bool, len(written))
	for _, id := range written {
		ok[id] = true
	}
	for _, p := range taken {
		p.of.unrecorded--
		switch {
		case err != nil:
			if p.of.err == nil {
				p.of.err = err
			}
		case !ok[p.ID]:
			p.of.lost++
		}
	}
	l.cond.Broadcast()
}
