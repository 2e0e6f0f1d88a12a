package layout

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// root is the module's root, seen from this package.
const root = "../.."

// owners says which package owns each table (DESIGN.md: "A package owns
// its tables; another package goes through the owner's Store").
var owners = map[string][]string{
	"subscribers": {"topics", "subscribers", "subscriber_topics", "consent_log", "suppressions", "subscription_mails", "consent_texts", "bounces"},
	"events":      {"events", "event_topics", "registrations", "registration_mails", "reminders"},
	"campaigns":   {"campaigns", "deliveries", "delivery_batches", "campaign_files"},
}

// TestEachPackageReadsOnlyItsOwnTables reads the SQL in every package's
// Go files (tests and the bench's scratch data aside) and fails on a
// table named by a package that does not own it; and on a table of the
// migrations that no package owns.
func TestEachPackageReadsOnlyItsOwnTables(t *testing.T) {
	tables := map[string]bool{}
	created := regexp.MustCompile(`(?i)CREATE TABLE ([a-z_]+)`)
	sqls, _ := filepath.Glob(filepath.Join(root, "migrations", "*.sql"))
	if len(sqls) == 0 {
		t.Fatal("no migrations found")
	}
	for _, name := range sqls {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range created.FindAllStringSubmatch(string(b), -1) {
			tables[m[1]] = true
		}
	}
	owner := map[string]string{}
	for pkg, ts := range owners {
		for _, tb := range ts {
			owner[tb] = pkg
		}
	}
	for tb := range tables {
		if owner[tb] == "" {
			t.Errorf("table %s has no owner in owners", tb)
		}
	}

	named := regexp.MustCompile(`(?i)\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]+)`)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if base := d.Name(); path != root && (strings.HasPrefix(base, ".") || base == "testdata") || path == filepath.Join(root, "internal") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || path == filepath.Join(root, "cmd", "rundbrief-bench", "scratch.go") {
			return nil
		}
		pkg := filepath.Base(filepath.Dir(path))
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, m := range named.FindAllStringSubmatch(s, -1) {
				tb := strings.ToLower(m[1])
				if tables[tb] && owner[tb] != pkg && !slices.Contains(owners[pkg], tb) {
					t.Errorf("%s names the table %s, which belongs to %s: go through its Store", path, tb, owner[tb])
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
