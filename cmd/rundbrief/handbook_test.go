package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// handbookCommands are the commands of the handbook's sh blocks, in order,
// each split into its words as a shell would (double quotes group words).
func handbookCommands(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		cmds [][]string
		in   bool
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "```sh":
			in = true
		case line == "```":
			in = false
		case in && strings.TrimSpace(line) != "":
			words, err := shellWords(line)
			if err != nil {
				t.Fatalf("%s: %q: %v", path, line, err)
			}
			cmds = append(cmds, words)
		}
	}
	return cmds
}

// shellWords splits a command line at spaces, keeping what double quotes
// enclose together.
func shellWords(line string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		quoted bool
		has    bool
	)
	for _, r := range line {
		switch {
		case r == '"':
			quoted, has = !quoted, true
		case r == ' ' && !quoted:
			if has {
				words = append(words, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if quoted {
		return nil, os.ErrInvalid
	}
	if has {
		words = append(words, cur.String())
	}
	return words, nil
}

// The handbook's commands run as written, in its order, against a scratch
// database (issue 15, point 12): every command in an sh block succeeds,
// and "> FILE" writes its output to the file, as a shell would.
func TestHandbookCommandsRun(t *testing.T) {
	e := newCLI(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmds := handbookCommands(t, filepath.Join(root, "docs", "handbuch.md"))
	if len(cmds) < 30 {
		t.Fatalf("%d commands in the handbook, want its daily tasks", len(cmds))
	}
	// The handbook's paths are relative to the repository; its files go
	// to a folder of the test's own.
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "examples"), filepath.Join(dir, "examples")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, words := range cmds {
		if words[0] != "rundbrief" {
			t.Fatalf("a command that is not rundbrief's: %q", words)
		}
		args, out := words[1:], ""
		if i := len(args) - 2; i >= 0 && args[i] == ">" {
			args, out = args[:i], args[i+1]
		}
		r := e.run(t, "", args...)
		t.Logf("$ rundbrief %s\n%s", strings.Join(args, " "), r.stdout) // shown with -v
		if r.code != 0 {
			t.Fatalf("rundbrief %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		if out != "" {
			if err := os.WriteFile(out, []byte(r.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
