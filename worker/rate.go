package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// rateLimiter holds all worker processes of a namespace to one rate of
// messages per second, through a GCRA limiter in Redis
// (github.com/go-redis/redis_rate). The burst is one second's worth.
type rateLimiter struct {
	rdb     redis.UniversalClient
	limiter *redis_rate.Limiter
	key     string
	limit   redis_rate.Limit
}

// newRateLimiter returns a limiter of perSecond messages, or nil for no
// limit.
func newRateLimiter(opt asynq.RedisConnOpt, namespace string, perSecond int) (*rateLimiter, error) {
	if perSecond <= 0 {
		return nil, nil
	}
	rdb, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, fmt.Errorf("worker: rate limit: unexpected Redis client %T", opt.MakeRedisClient())
	}
	return &rateLimiter{
		rdb: rdb, limiter: redis_rate.NewLimiter(rdb),
		key: namespace + ":rate:send", limit: redis_rate.PerSecond(perSecond),
	}, nil
}

// Wait blocks until one more message may be sent, or ctx is done. It
// calls idle, when not nil, before it sleeps.
func (r *rateLimiter) Wait(ctx context.Context, idle func()) error {
	if r == nil {
		return nil
	}
	for {
		res, err := r.limiter.Allow(ctx, r.key, r.limit)
		if err != nil {
			return fmt.Errorf("worker: rate limit: %w", err)
		}
		if res.Allowed > 0 {
			return nil
		}
		if idle != nil {
			idle()
			idle = nil
		}
		t := time.NewTimer(res.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (r *rateLimiter) Close() error {
	if r == nil {
		return nil
	}
	return r.rdb.Close()
}
