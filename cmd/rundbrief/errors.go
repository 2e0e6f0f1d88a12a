package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/knf-nordhausen/rundbrief/postgres"
)

// databaseError says in German that the database at rawURL could not be
// opened, why as far as it can tell, and where its address is set.
func databaseError(rawURL string, err error) error {
	why := networkCause(err)
	switch code := postgres.Code(err); {
	case why != "":
	case code == "28P01", code == "28000":
		why = "lehnt die Anmeldung ab: Benutzer oder Passwort stimmen nicht"
	case code == "42501":
		why = "hat die Datenbank nicht, und dieser Benutzer darf sie nicht anlegen; " +
			"bitten Sie die Datenbankbetreuung, sie anzulegen (CREATE DATABASE)"
	default:
		why = fmt.Sprintf("lässt sich nicht öffnen (technische Angabe: %v)", err)
	}
	return unreachable("PostgreSQL", "RUNDBRIEF_DATABASE_URL", rawURL, why)
}

// redisError says in German that Redis at rawURL did not answer, why as
// far as it can tell, and where its address is set.
func redisError(rawURL string, err error) error {
	why := networkCause(err)
	switch msg := err.Error(); {
	case why != "":
	case strings.Contains(msg, "NOAUTH"), strings.Contains(msg, "WRONGPASS"), strings.Contains(msg, "invalid password"):
		why = "lehnt die Anmeldung ab: Passwort fehlt oder stimmt nicht"
	default:
		why = "antwortet nicht"
	}
	return unreachable("Redis", "RUNDBRIEF_REDIS_URL", rawURL, why)
}

// networkCause says in German why a server could not be reached, as far
// as err's text tells, or "".
func networkCause(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "connection refused"):
		return "ist nicht erreichbar: dort läuft nichts (Verbindung abgelehnt)"
	case strings.Contains(msg, "i/o timeout"), strings.Contains(msg, "deadline exceeded"):
		return "antwortet nicht (Zeitüberschreitung)"
	case strings.Contains(msg, "no such host"):
		return "ist nicht zu finden: den Rechnernamen gibt es nicht"
	}
	return ""
}

// unreachable is the error of a service at rawURL (its password masked)
// that did not answer for why: what, then where its address is set.
func unreachable(service, envVar, rawURL, why string) error {
	return fmt.Errorf("%s unter %s %s. Läuft %s? Die Adresse steht in %s (siehe rundbrief config)",
		service, postgres.Redact(rawURL), why, service, envVar)
}

// packagePrefixes start the errors of rundbrief's packages, which are
// written for developers, in English.
var packagePrefixes = []string{"campaigns: ", "events: ", "subscribers: ", "worker: ", "mailer: ", "templates: ",
	"postgres: ", "config: ", "migrations: ", "web: "}

// untranslated puts a German sentence before an error that a package
// wrote for developers and no command explained: staff learn that
// something unexpected happened and whom to tell, and the technical
// words stay for that person.
func untranslated(err error) error {
	msg := err.Error()
	for _, p := range packagePrefixes {
		if strings.HasPrefix(msg, p) {
			return fmt.Errorf("etwas Unerwartetes ist geschehen; bitte geben Sie diese Meldung an die technische Betreuung weiter. "+
				"Technische Angabe: %w", err)
		}
	}
	return err
}

// forStaff is the last word on an error before staff read it: an error of
// PostgreSQL that no command explained in German gets a German sentence
// that says what went wrong and what to do, never the driver's "pq:" text.
// Every other error passes unchanged.
func forStaff(err error) error {
	code := postgres.Code(err)
	if code == "" {
		return untranslated(err)
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
