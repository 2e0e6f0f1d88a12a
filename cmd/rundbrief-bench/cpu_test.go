package main

import (
	"os"
	"testing"
)

// A backend seen first among all postgres processes counts as a backend
// once the run's query finds it; no other group changes.
func TestCPUMeterMovesLateBackends(t *testing.T) {
	tests := []struct {
		first, then, want string
	}{
		{groupPGOther, groupBackends, groupBackends},
		{groupBackends, groupPGOther, groupBackends},
		{groupWorkers, groupBackends, groupWorkers},
		{groupBench, groupPGOther, groupBench},
	}
	for _, tt := range tests {
		m := newCPUMeter()
		pid := os.Getpid()
		m.track(tt.first, pid)
		m.track(tt.then, pid)
		if got := m.group[pid]; got != tt.want {
			t.Errorf("tracked as %s, then %s: counted as %s, want %s", tt.first, tt.then, got, tt.want)
		}
	}
}
