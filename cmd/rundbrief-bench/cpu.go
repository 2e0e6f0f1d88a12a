package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// 100 on Linux.
const clockTick = 100

// cpuTicks is the CPU time (user and system) pid has used, in clock
// ticks, and whether it still runs.
func cpuTicks(pid int) (int64, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name is in parentheses and may hold spaces; the fields
	// after it start with the state (field 3); utime and stime are fields
	// 14 and 15.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, false
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime, true
}

// The groups of processes whose CPU time a run reports.
const (
	groupPlanning   = "campaigns send"
	groupWorkers    = "workers"
	groupBackends   = "postgres backends"
	groupPGOther    = "postgres other"
	groupRedis      = "redis"
	groupSink       = "sink"
	groupBench      = "bench"
	sampleEvery     = 100 * time.Millisecond
	backendsOfQuery = `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`
)

// cpuMeter adds up the CPU time groups of processes use between start
// and stop. A process first seen after start counts from zero (a
// PostgreSQL backend started for the run); one that ends between two
// samples loses what it used since the last one, at most sampleEvery.
type cpuMeter struct {
	mu      sync.Mutex
	first   map[int]int64 // ticks when first seen (0 for a process born during the run)
	last    map[int]int64
	group   map[int]string
	started bool
	stopped chan struct{}
	done    chan struct{}
}

func newCPUMeter() *cpuMeter {
	return &cpuMeter{first: map[int]int64{}, last: map[int]int64{}, group: map[int]string{}}
}

// track adds pid to group. A PostgreSQL process counted as another one
// moves to the backends when the run's query finds it later: a backend
// may start between that query and the look at all postgres processes.
func (m *cpuMeter) track(group string, pid int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if g, ok := m.group[pid]; ok {
		if g == groupPGOther && group == groupBackends {
			m.group[pid] = group
		}
		return
	}
	t, ok := cpuTicks(pid)
	if !ok {
		return
	}
	m.group[pid] = group
	if m.started {
		m.first[pid] = 0
	} else {
		m.first[pid] = t
	}
	m.last[pid] = t
}

func (m *cpuMeter) sample() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for pid := range m.group {
		if t, ok := cpuTicks(pid); ok {
			m.last[pid] = t
		}
	}
}

// run samples every sampleEvery until stop, tracking the run's
// PostgreSQL backends (found by discover) and every other postgres
// process of the machine as they appear.
func (m *cpuMeter) run(ctx context.Context, discover func(context.Context) ([]int, error)) {
	scan := func() {
		if pids, err := discover(ctx); err == nil {
			for _, pid := range pids {
				m.track(groupBackends, pid)
			}
		}
		for _, pid := range postgresProcesses() {
			m.track(groupPGOther, pid) // a backend already tracked keeps its group
		}
	}
	scan() // what runs already counts from now
	m.mu.Lock()
	m.started = true
	m.stopped, m.done = make(chan struct{}), make(chan struct{})
	m.mu.Unlock()
	go func() {
		defer close(m.done)
		for {
			scan() // what starts from now on counts from zero
			m.sample()
			select {
			case <-m.stopped:
				return
			case <-ctx.Done():
				return
			case <-time.After(sampleEvery):
			}
		}
	}()
}

// stop takes the last sample and returns the CPU seconds of each group.
func (m *cpuMeter) stop() map[string]float64 {
	if m.stopped != nil {
		close(m.stopped)
		<-m.done
	}
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]float64{}
	for pid, g := range m.group {
		out[g] += float64(m.last[pid]-m.first[pid]) / clockTick
	}
	return out
}

// postgresProcesses are the pids of every process named postgres: the
// server, its background processes and every backend.
func postgresProcesses() []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*/comm")
	var out []int
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil || strings.TrimSpace(string(b)) != "postgres" {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(d))); err == nil {
			out = append(out, pid)
		}
	}
	return out
}
