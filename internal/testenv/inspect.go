package testenv

import (
	"context"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"
)

// TablesMatching lists the tables of db that have a row whose text, lower
// cased, matches the regular expression re: the check that no table still
// holds a person after their erasure.
func TablesMatching(t testing.TB, db *sqlx.DB, re string) []string {
	t.Helper()
	var hits []string
	err := db.SelectContext(context.Background(), &hits, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
		  AND (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I t WHERE lower(t::text) ~ %L',
		        table_schema, table_name, $1::text), false, true, '')))[1]::text::int > 0
		ORDER BY table_name`, re)
	if err != nil {
		t.Fatalf("testenv: search tables: %v", err)
	}
	return hits
}

// RedisKeysMatching lists the keys of queue namespace ns (asynq's tasks,
// queues and statistics, and rundbrief's own keys) whose value holds one
// of needles, compared without regard to case: the check that no task,
// task error or result still names a person after their erasure.
func RedisKeysMatching(t testing.TB, opt asynq.RedisConnOpt, ns string, needles ...string) []string {
	t.Helper()
	var hits []string
	seen := 0
	eachKey(t, opt, ns, func(ctx context.Context, rdb redis.UniversalClient, key string) {
		seen++
		var parts []string
		switch typ := rdb.Type(ctx, key).Val(); typ {
		case "string":
			parts = []string{rdb.Get(ctx, key).Val()}
		case "hash":
			for k, v := range rdb.HGetAll(ctx, key).Val() {
				parts = append(parts, k, v)
			}
		case "list":
			parts = rdb.LRange(ctx, key, 0, -1).Val()
		case "set":
			parts = rdb.SMembers(ctx, key).Val()
		case "zset":
			parts = rdb.ZRange(ctx, key, 0, -1).Val()
		case "none":
		default:
			t.Fatalf("testenv: key %s has type %s, which this search cannot read", key, typ)
		}
		text := strings.ToLower(strings.Join(parts, "\x00") + "\x00" + key)
		for _, n := range needles {
			if strings.Contains(text, strings.ToLower(n)) {
				hits = append(hits, key)
				break
			}
		}
	})
	if seen == 0 {
		t.Fatalf("testenv: namespace %s has no keys at all; the search would prove nothing", ns)
	}
	return hits
}

// eachKey calls fn for every key Redis holds for queue namespace ns:
// asynq's keys of its queues and rundbrief's own.
func eachKey(t testing.TB, opt asynq.RedisConnOpt, ns string, fn func(context.Context, redis.UniversalClient, string)) {
	t.Helper()
	rdb, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		t.Fatalf("testenv: unexpected Redis client %T", opt.MakeRedisClient())
	}
	defer rdb.Close()
	ctx := context.Background()
	for _, pattern := range []string{"asynq:{" + ns + ":*", ns + ":*"} {
		iter := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			fn(ctx, rdb, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Fatalf("testenv: scan %s: %v", ns, err)
		}
	}
}
