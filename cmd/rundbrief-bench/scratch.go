package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
	"github.com/redis/go-redis/v9"
)

// scratch is a run's own database and queue namespace.
type scratch struct {
	admin *sqlx.DB
	db    *sqlx.DB
	name  string
	ns    string
	rdb   *redis.Client
	env   []string
}

func newScratch(ctx context.Context, o options) (*scratch, error) {
	var b [4]byte
	rand.Read(b[:])
	s := &scratch{name: "rundbrief_bench_" + hex.EncodeToString(b[:]), ns: "rbbench-" + hex.EncodeToString(b[:])}
	admin, err := sqlx.ConnectContext(ctx, "postgres", o.adminURL)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL at %s: %w (is it running? make services)", o.adminURL, err)
	}
	s.admin = admin
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+s.name); err != nil {
		admin.Close()
		return nil, fmt.Errorf("create scratch database: %w", err)
	}
	u, err := url.Parse(o.adminURL)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + s.name
	if s.db, err = sqlx.ConnectContext(ctx, "postgres", u.String()); err != nil {
		s.cleanup(false)
		return nil, err
	}
	// One connection: the bench's own backend, left out of the engine's CPU.
	s.db.SetMaxOpenConns(1)
	s.db.SetMaxIdleConns(1)
	s.db.SetConnMaxLifetime(0)
	ropt, err := redis.ParseURL(o.redisURL)
	if err != nil {
		s.cleanup(false)
		return nil, fmt.Errorf("-redis: %w", err)
	}
	s.rdb = redis.NewClient(ropt)
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		s.cleanup(false)
		return nil, fmt.Errorf("Redis at %s: %w (is it running? make services)", o.redisURL, err)
	}
	s.env = []string{
		"RUNDBRIEF_DATABASE_URL=" + u.String(),
		"RUNDBRIEF_REDIS_URL=" + o.redisURL,
		"RUNDBRIEF_QUEUE_NAMESPACE=" + s.ns,
		"RUNDBRIEF_SECRET=bench-secret-" + hex.EncodeToString(b[:]) + "-0123456789abcdefghijklmnop",
		"RUNDBRIEF_FROM=Netzwerkstelle Fachkräftesicherung <rundbrief@lra-nordhausen.example.org>",
		"RUNDBRIEF_BASE_URL=https://rundbrief.lra-nordhausen.example.org",
		"RUNDBRIEF_LOG_LEVEL=warn",
	}
	return s, nil
}

// generate adds n confirmed families and schools interested in "jugend",
// the Talent-Campus audience, straight into the tables (no consent log:
// it is a benchmark), then vacuums and analyzes them.
func (s *scratch) generate(ctx context.Context, n int) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO subscribers (email, name, kind, language, status, confirmed_at)
		SELECT 'person' || g || '@betrieb' || (g % 1000) || '.example', 'Person ' || g,
		       CASE WHEN g % 2 = 0 THEN 'family' ELSE 'school' END, CASE WHEN g % 7 = 0 THEN 'en' ELSE 'de' END,
		       'confirmed', now()
		FROM generate_series(1, $1) AS g`, n); err != nil {
		return fmt.Errorf("generate subscribers: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO subscriber_topics (subscriber_id, topic) SELECT id, 'jugend' FROM subscribers`); err != nil {
		return fmt.Errorf("generate topics: %w", err)
	}
	// A list in use has been vacuumed since its subscribers came
	// (autovacuum does so after an import), so the audience's read of
	// their topics finds them in the index alone.
	if _, err := s.db.ExecContext(ctx, `VACUUM (ANALYZE) subscribers, subscriber_topics`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	_, err := s.db.ExecContext(ctx, `ANALYZE`)
	return err
}

// waitDone waits until the n deliveries planned are final: twice a second
// it asks whether any batch is still open (through the partial index
// delivery_batches_open, stopping at the first), and counts the
// deliveries only once none is; it runs on the bench's own backend, whose
// CPU time is not the engine's.
func (s *scratch) waitDone(ctx context.Context, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var open bool
		if err := s.db.GetContext(ctx, &open, `SELECT EXISTS (SELECT 1 FROM delivery_batches WHERE status <> 'done')`); err != nil {
			return err
		}
		if !open {
			var final int
			if err := s.db.GetContext(ctx, &final, `SELECT count(*) FROM deliveries`); err != nil {
				return err
			}
			if final >= n {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("deliveries still open after %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// backends are the pids of the scratch database's backends but the
// bench's own.
func (s *scratch) backends(ctx context.Context) ([]int, error) {
	var pids []int
	err := s.db.SelectContext(ctx, &pids, backendsOfQuery)
	return pids, err
}

// backendPID is the pid of the bench's own backend.
func (s *scratch) backendPID(ctx context.Context) (int, error) {
	var pid int
	err := s.db.GetContext(ctx, &pid, `SELECT pg_backend_pid()`)
	return pid, err
}

// redisPID is the pid of the Redis server.
func (s *scratch) redisPID(ctx context.Context) (int, error) {
	info, err := s.rdb.Info(ctx, "server").Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, fmt.Errorf("redis INFO names no process_id")
}

type stats struct{ total, first, p50, p99 float64 }

// stats reads the run's figures from the delivery log: from start to the
// first and the last delivery recorded (the first is recorded with up to
// nine others, so it left a little earlier), and the time from each
// delivery's planning to its outcome being recorded.
func (s *scratch) stats(ctx context.Context, start time.Time) (stats, error) {
	var st stats
	var first, last time.Time
	var sent int
	err := s.db.QueryRowxContext(ctx, `SELECT min(finished_at), max(finished_at),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at)),
		percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at)),
		count(*) FILTER (WHERE status = 'sent')
		FROM deliveries`).Scan(&first, &last, &st.p50, &st.p99, &sent)
	if err != nil {
		return st, fmt.Errorf("delivery log: %w", err)
	}
	st.total, st.first = last.Sub(start).Seconds(), first.Sub(start).Seconds()
	var total int
	if err := s.db.GetContext(ctx, &total, `SELECT count(*) FROM deliveries`); err == nil && sent != total {
		return st, fmt.Errorf("%d of %d deliveries sent; see the delivery log", sent, total)
	}
	return st, nil
}

// cleanup drops the database, unless keep, and the namespace's Redis keys.
func (s *scratch) cleanup(keep bool) {
	ctx := context.Background()
	if s.db != nil {
		s.db.Close()
	}
	if keep && s.admin != nil {
		fmt.Fprintln(os.Stderr, "rundbrief-bench: kept the database", s.name)
		s.admin.Close()
	} else if s.admin != nil {
		if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+s.name+" WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "rundbrief-bench: drop", s.name+":", err)
		}
		s.admin.Close()
	}
	if s.rdb != nil {
		for _, pattern := range []string{"asynq:{" + s.ns + ":*", s.ns + ":*"} {
			iter := s.rdb.Scan(ctx, 0, pattern, 1000).Iterator()
			for iter.Next(ctx) {
				s.rdb.Del(ctx, iter.Val())
			}
		}
		if qs, err := s.rdb.SMembers(ctx, "asynq:queues").Result(); err == nil {
			for _, q := range qs {
				if strings.HasPrefix(q, s.ns+":") {
					s.rdb.SRem(ctx, "asynq:queues", q)
				}
			}
		}
		s.rdb.Close()
	}
}
