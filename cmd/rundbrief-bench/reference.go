package main

import (
	"crypto/sha256"
	"slices"
	"time"
)

// referenceWork times a fixed piece of CPU work (SHA-256 over 256 MiB, the
// median of three), taken before and after a run while nothing of the run
// is at work. On a shared virtual machine the same work takes up to a
// third longer at one hour than at another, and so does everything a run
// measures: runs are comparable when their reference work took alike.
func referenceWork() time.Duration {
	buf := make([]byte, 16<<20)
	var took []time.Duration
	for range 3 {
		start := time.Now()
		for range 16 {
			sha256.Sum256(buf)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return took[1]
}
