package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
)

// sink is the SMTP server the mail goes to.
type sink struct {
	name, addr string
	pid        int // the sink's process; this one's for the sink in this process
	stop       func()
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startSink starts Postfix's smtp-sink when installed (or asked for), else
// an SMTP server in this process that reads and drops every message.
func startSink(kind string) (*sink, error) {
	path, err := exec.LookPath("smtp-sink")
	if kind == "smtp-sink" && err != nil {
		return nil, fmt.Errorf("smtp-sink not installed (apt-get install postfix)")
	}
	if kind != "go" && err == nil {
		addr, err := freePort()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(path, "-u", "nobody", addr, "1024")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		for range 100 {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		return &sink{name: "smtp-sink", addr: addr, pid: cmd.Process.Pid, stop: func() { cmd.Process.Kill(); cmd.Wait() }}, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return discard{}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "sink.local", true
	srv.MaxMessageBytes = 10 << 20
	go srv.Serve(l)
	return &sink{name: "go-smtp", addr: l.Addr().String(), pid: os.Getpid(), stop: func() { srv.Close() }}, nil
}

type discard struct{}

func (discard) Mail(string, *smtp.MailOptions) error { return nil }
func (discard) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (discard) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }
func (discard) Reset()                               {}
func (discard) Logout() error                        { return nil }

// worker is a running `rundbrief worker` process whose peak memory is
// watched.
type worker struct {
	cmd  *exec.Cmd
	log  bytes.Buffer
	mu   sync.Mutex
	hwm  int64 // KiB
	done chan struct{}
}

func startWorker(o options, env []string) (*worker, error) {
	w := &worker{done: make(chan struct{})}
	args := []string{"worker"}
	if o.profile != "" {
		args = append(args, "--cpuprofile", fmt.Sprintf("%s-%d.pprof", o.profile, time.Now().UnixNano()))
	}
	w.cmd = exec.Command(o.bin, args...)
	w.cmd.Env = append(os.Environ(), env...)
	w.cmd.Stdout, w.cmd.Stderr = &w.log, &w.log
	if err := w.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		for {
			select {
			case <-w.done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if kb := vmHWM(w.cmd.Process.Pid); kb > 0 {
				w.mu.Lock()
				w.hwm = max(w.hwm, kb)
				w.mu.Unlock()
			}
		}
	}()
	return w, nil
}

// peak is the highest VmHWM seen, in KiB.
func (w *worker) peak() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hwm
}

func stopWorkers(ws []*worker) {
	for _, w := range ws {
		if kb := vmHWM(w.cmd.Process.Pid); kb > 0 {
			w.mu.Lock()
			w.hwm = max(w.hwm, kb)
			w.mu.Unlock()
		}
		close(w.done)
		w.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, w := range ws {
		if err := w.cmd.Wait(); err != nil {
			fmt.Fprintf(os.Stderr, "rundbrief-bench: worker: %v\n%s", err, &w.log)
		}
	}
}

// vmHWM reads the peak resident memory of pid from /proc, in KiB; 0 when
// it cannot.
func vmHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb
		}
	}
	return 0
}
