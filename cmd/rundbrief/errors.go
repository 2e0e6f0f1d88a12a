package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/knf-nordhausen/rundbrief/postgres"
)

// forStaff is the last word on an error before staff read it: an error of
// PostgreSQL that no command explained in German gets a German sentence
// that says what went wrong and what to do, never the driver's "pq:" text.
// Every other error passes unchanged.
func forStaff(err error) error {
	code := postgres.Code(err)
	if code == "" {
		return err
	}
	var msg string
	switch {
	case postgres.IsCheckViolation(err):
		msg = fmt.Sprintf("die Datenbank hat eine Angabe abgelehnt, weil sie gegen die Regel „%s“ verstößt. "+
			"Bitte prüfen Sie die Eingabe (rundbrief BEFEHL --help zeigt, was erlaubt ist)", postgres.Constraint(err))
	case postgres.IsUniqueViolation(err):
		msg = fmt.Sprintf("das gibt es schon (Regel „%s“); nichts wurde geändert", postgres.Constraint(err))
	case postgres.IsForeignKeyViolation(err):
		msg = "die Angabe bezieht sich auf etwas, das es nicht (mehr) gibt; nichts wurde geändert"
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "57P"):
		msg = "die Verbindung zur Datenbank ist abgebrochen. Läuft PostgreSQL? " +
			"Die Adresse steht in RUNDBRIEF_DATABASE_URL (siehe rundbrief config); bitte erneut versuchen"
	case strings.HasPrefix(code, "40"), code == "55P03":
		msg = "die Datenbank war gerade mit einem anderen Vorgang beschäftigt; bitte den Befehl erneut ausführen"
	default:
		msg = fmt.Sprintf("die Datenbank meldet einen Fehler (Code %s); nichts wurde geändert. "+
			"Bitte erneut versuchen oder die technische Betreuung fragen", code)
	}
	return errors.New(msg)
}
