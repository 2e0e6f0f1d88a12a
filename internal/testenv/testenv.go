// Package testenv gives tests the real services they need, isolated per test:
// a freshly migrated PostgreSQL database and an asynq queue namespace on Redis.
//
// A test that needs a service which is not running fails when the
// environment variable CI is "true" and is skipped elsewhere, with a message
// that says how to start it.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"

	"github.com/knf-nordhausen/rundbrief/migrations"
	"github.com/knf-nordhausen/rundbrief/postgres"
)

// Environment variables that point the tests at other servers.
const (
	EnvDatabaseURL = "RUNDBRIEF_TEST_DATABASE_URL" // an admin URL; tests create databases through it
	EnvRedisURL    = "RUNDBRIEF_TEST_REDIS_URL"
)

// templateLock is the advisory lock key under which the template database is
// built, so parallel test binaries build it once.
const templateLock int64 = 0x52425445535454 // "RBTESTT"

// Require stops the test when err says a service is missing: a failure under
// CI=true, a skip elsewhere.
func Require(t testing.TB, service string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not available: %v (CI must provide it; see .ci/run)", service, err)
	}
	t.Skipf("skipping: %s is not available: %v (run `make services` to start it)", service, err)
}

// AdminURL is the URL of a database through which tests create their own.
func AdminURL() string {
	if u := os.Getenv(EnvDatabaseURL); u != "" {
		return u
	}
	return "postgres://127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisURL is the Redis server the tests use.
func RedisURL() string {
	if u := os.Getenv(EnvRedisURL); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Database creates a new database with rundbrief's schema for this test and
// drops it when the test ends. It returns a handle and the database's URL,
// for code under test that opens its own connections.
func Database(t testing.TB) (*sqlx.DB, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := postgres.Open(ctx, AdminURL())
	Require(t, "PostgreSQL", err)
	defer admin.Close()

	tmpl := "rundbrief_tmpl_" + migrations.Fingerprint()
	if err := ensureTemplate(ctx, admin, tmpl); err != nil {
		t.Fatalf("testenv: build template database: %v", err)
	}
	name := "rundbrief_test_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pq.QuoteIdentifier(name), pq.QuoteIdentifier(tmpl))); err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	dbURL := withDatabase(t, AdminURL(), name)
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("testenv: open test database: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := postgres.Open(ctx, AdminURL())
		if err != nil {
			t.Errorf("testenv: drop %s: %v", name, err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop %s: %v", name, err)
		}
	})
	return db, dbURL
}

// EmptyDatabaseURL returns the URL of a database name that does not exist
// yet on the test server, and drops that database when the test ends.
func EmptyDatabaseURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := postgres.Open(ctx, AdminURL())
	Require(t, "PostgreSQL", err)
	admin.Close()
	name := "rundbrief_test_" + randomHex(6)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := postgres.Open(ctx, AdminURL())
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
	})
	return withDatabase(t, AdminURL(), name)
}

// ensureTemplate builds the template database once per schema version. The
// template is built under another name and renamed when complete, so a run
// that dies half-way never leaves a broken template behind.
func ensureTemplate(ctx context.Context, admin *sqlx.DB, name string) error {
	conn, err := admin.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", templateLock); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", templateLock)

	var exists bool
	if err := conn.GetContext(ctx, &exists, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := name + "_building"
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(building)+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(building)); err != nil {
		return err
	}
	u, err := url.Parse(AdminURL())
	if err != nil {
		return err
	}
	u.Path = "/" + building
	db, err := postgres.Open(ctx, u.String())
	if err != nil {
		return err
	}
	_, err = migrations.Up(ctx, db.DB)
	db.Close()
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(building)+" RENAME TO "+pq.QuoteIdentifier(name)); err != nil {
		return err
	}
	// Templates of older schemas are no longer needed.
	var old []string
	if err := conn.SelectContext(ctx, &old,
		"SELECT datname FROM pg_database WHERE datname LIKE 'rundbrief\\_tmpl\\_%' AND datname <> $1 AND datname NOT LIKE '%\\_building'", name); err != nil {
		return err
	}
	for _, o := range old {
		conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(o)+" WITH (FORCE)")
	}
	return nil
}

// Redis checks that the test Redis server answers and returns its
// connection options.
func Redis(t testing.TB) asynq.RedisConnOpt {
	t.Helper()
	opt, err := asynq.ParseRedisURI(RedisURL())
	if err != nil {
		t.Fatalf("testenv: %s: %v", EnvRedisURL, err)
	}
	rc, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		t.Fatalf("testenv: unexpected redis client type %T", opt.MakeRedisClient())
	}
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	Require(t, "Redis", rc.Ping(ctx).Err())
	return opt
}

// Namespace returns a queue namespace of this test's own, so tests that share
// one Redis never see each other's tasks; its queues are deleted when the
// test ends.
func Namespace(t testing.TB, opt asynq.RedisConnOpt) string {
	t.Helper()
	ns := "rbtest-" + randomHex(6)
	t.Cleanup(func() {
		insp := asynq.NewInspector(opt)
		defer insp.Close()
		queues, err := insp.Queues()
		if err != nil {
			return
		}
		for _, q := range queues {
			if strings.HasPrefix(q, ns+":") {
				insp.DeleteQueue(q, true)
			}
		}
	})
	return ns
}

func withDatabase(t testing.TB, rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("testenv: %s: %v", EnvDatabaseURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// FlushNamespace deletes everything Redis holds for the queues of
// namespace ns — tasks, queues, the rate limit — as if Redis had restarted
// without its data, while other tests' namespaces stay untouched.
func FlushNamespace(t testing.TB, opt asynq.RedisConnOpt, ns string) {
	t.Helper()
	eachKey(t, opt, ns, func(ctx context.Context, rdb redis.UniversalClient, key string) {
		if err := rdb.Del(ctx, key).Err(); err != nil {
			t.Fatalf("testenv: flush %s: %v", ns, err)
		}
	})
	rdb, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		t.Fatalf("testenv: unexpected Redis client %T", opt.MakeRedisClient())
	}
	defer rdb.Close()
	ctx := context.Background()
	members, err := rdb.SMembers(ctx, "asynq:queues").Result()
	if err != nil {
		t.Fatalf("testenv: flush %s: %v", ns, err)
	}
	for _, q := range members {
		if strings.HasPrefix(q, ns+":") {
			rdb.SRem(ctx, "asynq:queues", q)
		}
	}
}
