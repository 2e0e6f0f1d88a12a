// Command rundbrief is the mailing system of the Kommunale Netzwerkstelle
// Fachkräftesicherung: the staff's commands (subscribers and their import,
// topics, events and registrations, campaigns), the database migration,
// the public pages (serve) and the worker that sends every mail (worker).
//
// This package only wires: it reads the configuration, opens the stores,
// calls the packages and prints in German. The words staff read for the
// domain's codes and errors are its tables (words.go, errors.go).
//
// Exit codes: 0 success, 1 error, 2 wrong usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	_ "time/tzdata" // Europe/Berlin also in containers without zoneinfo

	"github.com/redis/go-redis/v9"
)

func main() {
	// go-redis writes its connection trouble to stderr on its own, in
	// English, before rundbrief can say in German what is wrong; the
	// commands say it (see redisError).
	redis.SetLogger(quietRedis{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr, runtime.GOMAXPROCS)
	stop()
	os.Exit(code)
}

// quietRedis is a go-redis logger that writes nothing.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// usageError is a mistake in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCodeError ends the command with a given code after it has said why.
type exitCodeError struct{ code int }

func (e exitCodeError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// run executes one command line and returns the exit code.
// run runs the command in args. cpus, when not nil, sets how many cores
// the process uses (runtime.GOMAXPROCS; see newWorker); tests, which run
// commands in their own process, leave it nil.
func run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer, cpus func(int) int) int {
	a := &app{env: environ, stdin: stdin, stdout: stdout, stderr: stderr, cpus: cpus}
	defer a.close()
	root := newRoot(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ec exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	err = forStaff(err)
	var ue usageError
	if errors.As(err, &ue) || !a.started {
		fmt.Fprintf(stderr, "Fehler: %v\nHilfe: rundbrief --help, oder rundbrief BEFEHL --help\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "Fehler: %v\n", err)
	return exitError
}
