package subscribers_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/subscribers"
)

func parseFile(t *testing.T, s *subscribers.Store, data string) subscribers.RowSource {
	t.Helper()
	topics, err := s.Topics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f, err := subscribers.ParseImport(strings.NewReader(data), subscribers.ImportOptions{Topics: topics})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Problems) > 0 {
		t.Fatalf("problems: %v", f.Problems)
	}
	return subscribers.RowsOf(f.Rows)
}

// snapshot is everything an import can change, for "importing twice changes
// nothing".
func snapshot(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var rows []string
	err := db.Select(&rows, `
		SELECT format('%s|%s|%s|%s|%s|%s|%s', email, name, organisation, kind, language, status,
			ARRAY(SELECT topic FROM subscriber_topics WHERE subscriber_id = s.id ORDER BY topic)) FROM subscribers s
		UNION ALL SELECT format('log %s %s %s', subscriber_id, action, note) FROM consent_log
		UNION ALL SELECT format('mail %s %s %s', subscriber_id, kind, status) FROM subscription_mails
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

const importCSV = "E-Mail;Name;Organisation;Art;Themen\n" +
	"personal@metallbau.example;Jörg Müller;Südharz Metallbau GmbH;Unternehmen;ausbildung|fachkraefte\n" +
	"sekretariat@schule.example;;Regelschule;Schule;jugend\n" +
	"eltern@example.org;Familie Sommer;;Familie;kinderbetreuung\n"

func TestImportTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	ctx := context.Background()
	rep, err := s.Import(ctx, parseFile(t, s, importCSV), subscribers.Consent{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 3 || rep.OptIns.Count != 3 || rep.Unchanged != 0 {
		t.Errorf("first import: %+v", rep)
	}
	before := snapshot(t, db)
	if !strings.Contains(before, "personal@metallbau.example|Jörg Müller|Südharz Metallbau GmbH|company|de|pending|{ausbildung,fachkraefte}") {
		t.Errorf("stored rows:\n%s", before)
	}

	rep, err = s.Import(ctx, parseFile(t, s, importCSV), subscribers.Consent{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 0 || rep.OptIns.Count != 0 || rep.Unchanged != 3 || rep.Updated.Total != 0 {
		t.Errorf("second import: %+v, want all unchanged", rep)
	}
	if after := snapshot(t, db); after != before {
		t.Errorf("second import changed the database:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// An address already on the list gets the file's new topics and a name it
// lacked, and keeps its status; nobody gets a second opt-in mail.
func TestImportMergesIntoExisting(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	mustAdd(t, s, subscribers.NewSubscriber{Email: "Sekretariat@schule.example", Kind: "school", Topics: []string{"ausbildung"}},
		subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Telefonat 3.11."})

	rep, err := s.Import(ctx, parseFile(t, s, "E-Mail;Name;Art;Themen\nsekretariat@SCHULE.example;Frau Beispiel;Schule;jugend|ausbildung\n"), subscribers.Consent{}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []subscribers.ImportNote{{Line: 2, Email: "sekretariat@schule.example", NameAdded: true, TopicsAdded: []string{"jugend"}}}
	if rep.Added != 0 || rep.OptIns.Count != 0 || rep.Updated.Total != 1 || !reflect.DeepEqual(rep.Updated.Listed, want) {
		t.Errorf("report = %+v, want updated %+v", rep, want)
	}
	sub, _ := s.GetByEmail(ctx, "sekretariat@schule.example")
	if sub.Name != "Frau Beispiel" || sub.Status != subscribers.StatusConfirmed || !reflect.DeepEqual(sub.Topics, []string{"ausbildung", "jugend"}) {
		t.Errorf("after merge: %+v", sub)
	}
	if sub.Email != "Sekretariat@schule.example" {
		t.Errorf("merge changed the stored address to %q", sub.Email)
	}
}

func TestImportSkipsSuppressedAndWithdrawn(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	ctx := context.Background()
	gone := mustAdd(t, s, subscribers.NewSubscriber{Email: "geloescht@example.org", Kind: "family"}, staffConsent)
	if err := s.Delete(ctx, gone.ID, true); err != nil {
		t.Fatal(err)
	}
	out := mustAdd(t, s, subscribers.NewSubscriber{Email: "abgemeldet@example.org", Kind: "family"}, staffConsent)
	if _, err := db.Exec(`UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = now() WHERE id = $1`, out.ID); err != nil {
		t.Fatal(err)
	}

	rep, err := s.Import(ctx, parseFile(t, s, "E-Mail;Art;Themen\nGELOESCHT@example.org;Familie;jugend\nabgemeldet@example.org;Familie;jugend\nneu@example.org;Familie;\n"),
		subscribers.Consent{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 1 || rep.Suppressed.Total != 1 || rep.Suppressed.Listed[0].Line != 2 || rep.Withdrawn.Total != 1 ||
		rep.Withdrawn.Listed[0].Line != 3 || rep.Withdrawn.Listed[0].Status != subscribers.StatusUnsubscribed {
		t.Errorf("report = %+v", rep)
	}
	if sub, _ := s.GetByEmail(ctx, "abgemeldet@example.org"); len(sub.Topics) != 0 || sub.Status != subscribers.StatusUnsubscribed {
		t.Errorf("import touched an unsubscribed person: %+v", sub)
	}
	if _, err := s.GetByEmail(ctx, "geloescht@example.org"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("import brought back a suppressed address: %v", err)
	}
}

func TestImportDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	before := snapshot(t, db)
	rep, err := s.Import(context.Background(), parseFile(t, s, importCSV), subscribers.Consent{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 3 || rep.OptIns.Count != 0 {
		t.Errorf("dry run report = %+v, want 3 added and no mails to send", rep)
	}
	if after := snapshot(t, db); after != before {
		t.Errorf("dry run changed the database:\n%s", after)
	}
}

func TestImportConfirmedWithNote(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.Import(ctx, parseFile(t, s, importCSV), subscribers.Consent{Confirmed: true}, false); !errors.Is(err, subscribers.ErrConsentNote) {
		t.Fatalf("confirmed import without note: %v, want ErrConsentNote", err)
	}
	note := "Teilnehmerliste Regionalkonferenz 2026, Einwilligung per Unterschrift"
	rep, err := s.Import(ctx, parseFile(t, s, importCSV), subscribers.Consent{Confirmed: true, Note: note}, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 3 || rep.OptIns.Count != 0 {
		t.Errorf("report = %+v", rep)
	}
	sub, _ := s.GetByEmail(ctx, "eltern@example.org")
	log, _ := s.ConsentLog(ctx, sub.ID)
	if sub.Status != subscribers.StatusConfirmed || len(log) != 2 || log[1].Note != note || log[1].Source != subscribers.SourceImport {
		t.Errorf("subscriber %s, consent log %+v", sub.Status, log)
	}
}

// An address that appears twice (in any case or spelling) becomes one
// subscriber with the topics of both and the first name and organisation
// given; the later row is reported as a duplicate of the first.
func TestImportMergesDuplicates(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	rep, err := s.Import(ctx, parseFile(t, s, "E-Mail;Name;Organisation;Art;Themen\n"+
		"anna@example.org;;;Familie;jugend\n"+
		"x@example.org;X;;Schule;\n"+
		"ANNA@example.org;Anna Beispiel;Elternrat;Schule;kinderbetreuung|jugend\n"+
		"user@xn--mller-kva.example;;;Unternehmen;\n"+
		"user@müller.example;;Müller KG;Unternehmen;oepnv\n"), subscribers.Consent{}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []subscribers.ImportNote{{Line: 4, FirstLine: 2, Email: "ANNA@example.org"}, {Line: 6, FirstLine: 5, Email: "user@müller.example"}}
	if rep.Rows != 5 || rep.Added != 3 || rep.OptIns.Count != 3 || rep.Duplicates.Total != 2 || !reflect.DeepEqual(rep.Duplicates.Listed, want) {
		t.Errorf("report %+v, duplicates %+v; want 3 added and %+v", rep, rep.Duplicates, want)
	}
	anna, _ := s.GetByEmail(ctx, "anna@example.org")
	if anna.Name != "Anna Beispiel" || anna.Organisation != "Elternrat" || anna.Kind != subscribers.KindFamily ||
		!reflect.DeepEqual(anna.Topics, []string{"jugend", "kinderbetreuung"}) {
		t.Errorf("merged: %+v", anna)
	}
	if m, _ := s.GetByEmail(ctx, "user@müller.example"); m.Organisation != "Müller KG" || !reflect.DeepEqual(m.Topics, []string{"oepnv"}) {
		t.Errorf("merged: %+v", m)
	}
}

// A file with bad rows, read all-or-nothing, stores nothing, however many
// good rows it has before and after them.
func TestImportWithBadRowsStoresNothing(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	topics, _ := s.Topics(context.Background())
	before := snapshot(t, db)
	data := "E-Mail;Art\ngut1@example.org;Schule\nkaputt@;Schule\ngut2@example.org;Schule\n"
	ir, err := subscribers.NewImportReader(strings.NewReader(data), subscribers.ImportOptions{Topics: topics, AllOrNothing: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(context.Background(), ir, subscribers.Consent{}, false); !errors.Is(err, subscribers.ErrInvalidRows) {
		t.Fatalf("import of a file with a bad row: %v, want ErrInvalidRows", err)
	}
	if ir.BadLines() != 1 || ir.Valid() != 2 || ir.Problems()[0].Line != 3 {
		t.Errorf("reader: %d bad, %d valid, problems %v", ir.BadLines(), ir.Valid(), ir.Problems())
	}
	if after := snapshot(t, db); after != before {
		t.Errorf("the database changed:\n%s", after)
	}
}
