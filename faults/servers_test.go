package faults

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/knf-nordhausen/rundbrief/internal/testenv"
)

// redisServer is a redis-server of one test's own, on a free port and
// without persistence, so that a test may empty it (FLUSHALL) without
// touching any other test's queues.
type redisServer struct {
	url string
	cmd *exec.Cmd
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	testenv.Require(t, "redis-server (apt-get install redis-server)", err)
	port := freePort(t)
	cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--dir", t.TempDir(), "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := &redisServer{url: fmt.Sprintf("redis://127.0.0.1:%d/0", port), cmd: cmd}
	waitTCP(t, fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	return r
}

// flushAll empties the whole Redis server, as a restart without
// persistence does.
func (r *redisServer) flushAll(t *testing.T) {
	t.Helper()
	opt, err := redis.ParseURL(r.url)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	defer rc.Close()
	if err := rc.FlushAll(context.Background()).Err(); err != nil {
		t.Fatalf("FLUSHALL: %v", err)
	}
}

// pgCluster is a PostgreSQL server of one test's own (initdb in a
// temporary folder, a free port), so that a test may stop and start it.
// As root, its processes run as the postgres user, since PostgreSQL
// refuses to run as root.
type pgCluster struct {
	dir, bin string
	port     int
	runAs    string // "" or the user to run the server's commands as
}

func startPostgres(t *testing.T) *pgCluster {
	t.Helper()
	c := &pgCluster{bin: postgresBin()}
	if c.bin == "" {
		testenv.Require(t, "PostgreSQL's server programs (initdb, pg_ctl)", fmt.Errorf("no initdb under /usr/lib/postgresql/*/bin"))
	}
	dir, err := os.MkdirTemp("", "rundbrief-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c.dir, c.port = dir, freePort(t)
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, a postgres user is needed for a server of the test's own: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.runAs = "postgres"
	}
	c.run(t, "initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8")
	c.start(t)
	t.Cleanup(func() { c.ctl(t, "stop", "-m", "immediate") })
	return c
}

func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// url is the URL of database name on the cluster.
func (c *pgCluster) url(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

func (c *pgCluster) run(t *testing.T, prog string, args ...string) {
	t.Helper()
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", prog, args, err, out)
	}
}

func (c *pgCluster) ctl(t *testing.T, args ...string) {
	t.Helper()
	c.run(t, "pg_ctl", append([]string{"-D", c.data(), "-w"}, args...)...)
}

// start starts the server; with fsync off, since the test needs no
// durability across power loss, only across a restart.
func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	c.ctl(t, "start", "-l", filepath.Join(c.dir, "server.log"),
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", c.port, c.dir))
}

// stop shuts the server down the way a restart does: sessions are ended,
// open transactions roll back.
func (c *pgCluster) stop(t *testing.T) { c.ctl(t, "stop", "-m", "fast") }

func waitTCP(t *testing.T, addr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not answer: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
