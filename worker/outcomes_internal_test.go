package worker

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/maillog"
)

// fakeWrites records the writes of an outcomeLog; it writes every outcome
// but those of lose, and fails with fail.
type fakeWrites struct {
	mu     sync.Mutex
	writes [][]int64
	lose   map[int64]bool
	fail   error
}

func (f *fakeWrites) write(_ context.Context, outs []campaigns.ClaimedOutcome) ([]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids, written []int64
	for _, o := range outs {
		ids = append(ids, o.ID)
		if !f.lose[o.ID] {
			written = append(written, o.ID)
		}
	}
	f.writes = append(f.writes, ids)
	if f.fail != nil {
		return nil, f.fail
	}
	return written, nil
}

func sent(id int64) maillog.Outcome {
	return maillog.Claim{ID: id, Attempts: 1}.Sent("<m@x>", "250 ok")
}

// A batch that reaches the limit writes its outcomes together with those
// another batch has pending; that batch then has nothing left to write.
// Outcomes the statement did not write count as lost to their batch.
func TestOutcomeLogWritesPendingTogether(t *testing.T) {
	ctx := context.Background()
	f := &fakeWrites{lose: map[int64]bool{102: true}}
	l := newOutcomeLog(3, f.write)
	a := l.begin(&campaigns.Batch{BatchRef: campaigns.BatchRef{CampaignID: 1, Batch: 0}, Attempts: 1})
	b := l.begin(&campaigns.Batch{BatchRef: campaigns.BatchRef{CampaignID: 1, Batch: 1}, Attempts: 1})
	for _, id := range []int64{101, 102} {
		if err := a.add(ctx, sent(id)); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.writes) != 0 {
		t.Fatalf("wrote %v below the limit", f.writes)
	}
	for _, id := range []int64{201, 202, 203} {
		if err := b.add(ctx, sent(id)); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.writes) != 1 || len(f.writes[0]) != 5 {
		t.Fatalf("writes = %v, want one of all five outcomes", f.writes)
	}
	if lost, err := a.close(ctx); lost != 1 || err != nil {
		t.Errorf("a.close = %d lost, %v; want 1 lost (102)", lost, err)
	}
	if lost, err := b.close(ctx); lost != 0 || err != nil {
		t.Errorf("b.close = %d lost, %v", lost, err)
	}
	if len(f.writes) != 1 {
		t.Errorf("writes = %v; closing wrote again with nothing pending", f.writes)
	}
}

// Batches sending at once never have more than the limit unrecorded, and
// each outcome is written once.
func TestOutcomeLogLimitUnderLoad(t *testing.T) {
	ctx := context.Background()
	const limit, batches, each = 10, 8, 50
	var mu sync.Mutex
	unrecorded := map[*batchOutcomes]int{}
	written := map[int64]int{}
	var l *outcomeLog
	l = newOutcomeLog(limit, func(_ context.Context, outs []campaigns.ClaimedOutcome) ([]int64, error) {
		mu.Lock()
		defer mu.Unlock()
		var ids []int64
		for _, o := range outs {
			written[o.ID]++
			ids = append(ids, o.ID)
		}
		return ids, nil
	})
	var wg sync.WaitGroup
	errs := make(chan error, batches)
	for k := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := l.begin(&campaigns.Batch{BatchRef: campaigns.BatchRef{CampaignID: 1, Batch: k}, Attempts: 1})
			for i := range each {
				if err := b.add(ctx, sent(int64(k*1000+i))); err != nil {
					errs <- err
					return
				}
				l.mu.Lock()
				n := b.unrecorded
				l.mu.Unlock()
				mu.Lock()
				unrecorded[b] = max(unrecorded[b], n)
				mu.Unlock()
			}
			if _, err := b.close(ctx); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for b, n := range unrecorded {
		if n >= limit {
			t.Errorf("batch %d had %d outcomes unrecorded after add returned, want fewer than %d", b.claim.Batch, n, limit)
		}
	}
	if len(written) != batches*each {
		t.Errorf("%d outcomes written, want %d", len(written), batches*each)
	}
	for id, n := range written {
		if n != 1 {
			t.Errorf("outcome %d written %d times", id, n)
		}
	}
}

// A failed write fails every batch whose outcomes it carried.
func TestOutcomeLogWriteFails(t *testing.T) {
	ctx := context.Background()
	down := errors.New("connection refused")
	f := &fakeWrites{fail: down}
	l := newOutcomeLog(2, f.write)
	a := l.begin(&campaigns.Batch{BatchRef: campaigns.BatchRef{CampaignID: 1, Batch: 0}, Attempts: 1})
	b := l.begin(&campaigns.Batch{BatchRef: campaigns.BatchRef{CampaignID: 1, Batch: 1}, Attempts: 1})
	if err := a.add(ctx, sent(1)); err != nil {
		t.Fatal(err)
	}
	if err := b.add(ctx, sent(2)); err != nil {
		t.Fatal(err)
	}
	if err := b.add(ctx, sent(3)); !errors.Is(err, down) {
		t.Errorf("b.add at the limit = %v, want %v", err, down)
	}
	if _, err := a.close(ctx); !errors.Is(err, down) {
		t.Errorf("a.close = %v, want %v: its outcome was in the failed write", err, down)
	}
}
