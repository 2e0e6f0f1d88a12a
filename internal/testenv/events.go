package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/knf-nordhausen/rundbrief/events"
)

// ExampleEvent reads the event file name from examples/events/ of the
// module, wherever the test runs.
func ExampleEvent(t testing.TB, name string) events.Spec {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: no go.mod above the test's folder")
		}
		dir = parent
	}
	f, err := os.Open(filepath.Join(dir, "examples", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	spec, err := events.ParseYAML(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return spec
}
