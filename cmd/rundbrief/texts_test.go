package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
)

// editText replaces old by new in the file path, which must hold old.
func editText(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not hold %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Texts changed on disk change the mail and the page, with no new
// program (issue 16, point 1): export, edit, check, and the next command
// speaks the office's words.
func TestOwnTextsChangeMailAndPage(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	dir := filepath.Join(t.TempDir(), "texte")
	if out := e.ok(t, "texts", "export", dir); !strings.Contains(out, "de.yaml geschrieben") {
		t.Fatalf("export:\n%s", out)
	}
	de := filepath.Join(dir, "de.yaml")
	editText(t, de, `anleitung: "Wenn Sie den Rundbrief erhalten möchten, bestätigen Sie das bitte mit einem Klick:"`,
		`anleitung: "Ein Klick genügt, {Name} – dann sind Sie dabei:"`)
	if r := e.run(t, "", "texts", "check", "--dir", dir); r.code == 0 || !strings.Contains(r.stderr, "de.yaml, Zeile") ||
		!strings.Contains(r.stderr, "{Name} kann dieser Text nicht enthalten") {
		t.Errorf("a placeholder the text cannot have: exit %d\n%s", r.code, r.stderr)
	}
	own := e.with("RUNDBRIEF_TEXTS=" + dir)
	seen := outboxNames(t, e.outbox)
	own.ok(t, "subscribers", "add", "neu@example.org", "--kind", "Familie", "--name", "Sabine Köhler")
	if r := own.run(t, "", "worker", "--until-empty"); r.code == 0 || !strings.Contains(r.stderr, "rundbrief texts check") {
		t.Errorf("the worker ran with a broken text: exit %d\n%s", r.code, r.stderr)
	}
	editText(t, de, `"Ein Klick genügt, {Name} – dann sind Sie dabei:"`, `"Ein Klick genügt – dann sind Sie dabei:"`)
	editText(t, de, `title: "Rundbrief abonnieren"`, `title: "Den Rundbrief der Netzwerkstelle bestellen"`)
	if out := e.ok(t, "texts", "check", "--dir", dir); !strings.Contains(out, "in Ordnung") {
		t.Errorf("check:\n%s", out)
	}
	own.ok(t, "worker", "--until-empty")
	mails := newMails(t, e.outbox, seen)
	if len(mails) != 1 || !strings.Contains(mails[0], "Ein Klick gen=C3=BCgt =E2=80=93 dann sind Sie dabei:") {
		t.Errorf("the mail does not say the office's words:\n%v", mails)
	}
	out := own.ok(t, "texts", "preview", "seiten.subscribe.title", "--dir", t.TempDir())
	page, err := os.ReadFile(strings.TrimSpace(out))
	if err != nil || !strings.Contains(string(page), "<h1>Den Rundbrief der Netzwerkstelle bestellen</h1>") {
		t.Errorf("the page does not say the office's words (%v):\n%s", err, page)
	}
	mailOut := own.ok(t, "texts", "preview", "mails.bestaetigung", "--dir", t.TempDir())
	if !strings.Contains(mailOut, ".eml") || !strings.Contains(mailOut, "Betreff: Bitte bestätigen Sie Ihr Abonnement") {
		t.Errorf("preview of a mail:\n%s", mailOut)
	}
}

// The consent wording keeps its version: a wording changed under a
// version people agreed to is refused by check and by the pages' start,
// and each version's wording stays readable (texts consent).
func TestConsentWordingNeedsANewVersion(t *testing.T) {
	t.Parallel()
	a, ctx := newApp(t)
	if _, err := a.newWebServer(ctx); err != nil {
		t.Fatal(err)
	}
	e := &cliEnv{vars: a.env}
	if out := e.ok(t, "texts", "consent"); !strings.Contains(out, "Version 2026-11-25 (de)") || !strings.Contains(out, "Ja, ich möchte den Rundbrief") {
		t.Errorf("texts consent:\n%s", out)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "de.yaml"), []byte("einwilligung:\n  version: \"2026-11-25\"\n  text: \"Ja, schicken Sie mir alles.\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := e.run(t, "", "texts", "check", "--dir", dir); r.code == 0 || !strings.Contains(r.stderr, "Zeile 3") || !strings.Contains(r.stderr, "neue Version") {
		t.Errorf("check: exit %d\n%s", r.code, r.stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "de.yaml"), []byte("einwilligung:\n  version: \"2027-01-15\"\n  text: \"Ja, schicken Sie mir den Rundbrief.\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &app{env: append(append([]string{}, a.env...), "RUNDBRIEF_TEXTS="+dir)}
	t.Cleanup(b.close)
	if _, err := b.newWebServer(ctx); err != nil {
		t.Fatalf("a new version: %v", err)
	}
	if out := e.ok(t, "texts", "consent"); !strings.Contains(out, "Version 2027-01-15 (de)") || !strings.Contains(out, "Version 2026-11-25 (de)") {
		t.Errorf("both versions stay readable:\n%s", out)
	}
	st, err := b.stores(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.subs.RecordConsentText(ctx, "2027-01-15", i18n.German, "anders"); err == nil {
		t.Error("a version's wording was changed in the database")
	}
}

// A newsletter scheduled for later is not owed yet: worker --until-empty
// ends when the mails owed now are out, rather than waiting for its time.
func TestUntilEmptyDoesNotWaitForAScheduledCampaign(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.importConfirmed(t, "../../examples/kontakte-demo.csv")
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Rundbrief", "--body", writeFile(t, "r.md", "Neues."))
	e.ok(t, "campaigns", "send", "1", "--at", time.Now().AddDate(0, 0, 3).In(events.Berlin()).Format("2006-01-02 15:04"), "--yes")
	start := time.Now()
	e.ok(t, "worker", "--until-empty")
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("worker --until-empty took %s with a campaign scheduled in three days", took)
	}
}
