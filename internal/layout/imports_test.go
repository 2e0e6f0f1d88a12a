package layout

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/knf-nordhausen/rundbrief/"

// forbidden says which of the module's packages a package must not
// import (DESIGN.md: packages depend downward, cmd → web/worker →
// compose → campaigns/events → subscribers; bounces sits beside compose,
// over campaigns, events and subscribers; turning a kind of mail, a
// recipient and the facts into a message happens in compose, so the
// domain packages import neither mailer nor templates; nothing imports
// cmd, web or worker).
var forbidden = map[string][]string{
	"subscribers": {"mailer", "templates", "compose", "events", "campaigns", "web", "worker"},
	"events":      {"mailer", "templates", "compose", "campaigns", "web", "worker"},
	"campaigns":   {"mailer", "templates", "compose", "web", "worker"},
	"bounces":     {"mailer", "templates", "compose", "web", "worker"},
	"admin":       {"subscribers", "events", "campaigns", "compose", "bounces", "mailer", "templates", "maillog", "web", "worker"},
	"doctor":      {"subscribers", "events", "campaigns", "compose", "bounces", "templates", "maillog", "web", "worker"},
	"maillog":     {"mailer", "templates", "compose", "subscribers", "events", "campaigns", "web", "worker"},
	"i18n":        {"mailer", "templates", "compose", "subscribers", "events", "campaigns", "maillog", "web", "worker"},
	"templates":   {"mailer", "compose", "subscribers", "events", "campaigns", "maillog", "web", "worker"},
	"mailer":      {"templates", "compose", "subscribers", "events", "campaigns", "maillog", "web", "worker"},
	"compose":     {"web", "worker", "maillog"},
	"web":         {"worker", "mailer"},
	"worker":      {"web"},
}

func TestPackagesImportDownward(t *testing.T) {
	for pkg, never := range forbidden {
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		if len(files) == 0 {
			t.Errorf("package %s not found", pkg)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				for _, n := range never {
					if p == module+n {
						t.Errorf("%s imports %s", path, n)
					}
				}
				if strings.HasPrefix(p, module+"cmd") {
					t.Errorf("%s imports %s", path, p)
				}
			}
		}
	}
}
