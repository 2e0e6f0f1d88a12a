package main

import (
	"io"
	"net"
	"slices"
	"time"
)

// referenceWork times a fixed piece of work of the kind a run is made of:
// 5,000 messages of 20 KB written over a loopback TCP connection, each
// answered with a short reply before the next one goes (system calls,
// the kernel's loopback, wakeups), the median of three rounds. It is
// taken before and after a run, while nothing of the run is at work. On a
// shared virtual machine the same work takes half as long again at one
// hour as at another, and so does everything a run measures: runs are
// comparable when their reference work took alike. It returns 0 when the
// loopback cannot be used.
func referenceWork() time.Duration {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	const rounds, messages, size = 3, 5000, 20 << 10
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, size)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if _, err := c.Write(buf[:8]); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return 0
	}
	defer c.Close()
	msg, reply := make([]byte, size), make([]byte, 8)
	var took []time.Duration
	for range rounds {
		start := time.Now()
		for range messages {
			if _, err := c.Write(msg); err != nil {
				return 0
			}
			if _, err := io.ReadFull(c, reply); err != nil {
				return 0
			}
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return took[rounds/2]
}
