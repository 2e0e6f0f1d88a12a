package main

import (
	"errors"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// subscriberErrorWords say in German what is wrong with a value the
// subscribers package refused: an address, a kind, a topic, a row of an
// import. Web says the same to the public from its own copy tables.
var subscriberErrorWords = []struct {
	err   error
	words string
}{
	{subscribers.ErrEmailEmpty, "E-Mail-Adresse fehlt"},
	{subscribers.ErrEmailControl, "die E-Mail-Adresse enthält ein Leerzeichen, einen Zeilenumbruch oder ein Steuerzeichen"},
	{subscribers.ErrEmailDisplayName, "bitte nur die Adresse angeben, ohne Namen, Kommentar, Anführungszeichen oder spitze Klammern"},
	{subscribers.ErrEmailSyntax, "keine gültige E-Mail-Adresse (Form: name@beispiel.de)"},
	{subscribers.ErrEmailTooLong, "die E-Mail-Adresse ist zu lang"},
	{subscribers.ErrEmailDomain, "die E-Mail-Adresse hat keine gültige Domain (Teil nach dem @, z. B. beispiel.de)"},
	{subscribers.ErrUnknownKind, "unbekannte Art; möglich sind Unternehmen, Schule, Familie, Sonstige"},
	{subscribers.ErrKindMissing, "die Art fehlt (Unternehmen, Schule, Familie oder Sonstige); für alle Zeilen ohne Art kann --kind sie vorgeben"},
	{subscribers.ErrUnknownTopic, "unbekanntes Thema"},
	{i18n.ErrUnknown, "unbekannte Sprache; möglich sind de (Deutsch) und en (Englisch)"},
	{subscribers.ErrTextTooLong, "zu lang (höchstens 200 Zeichen)"},
	{subscribers.ErrTextControl, "enthält einen Zeilenumbruch, ein Steuerzeichen oder ein unsichtbares Zeichen (etwa eines, das die Schreibrichtung umkehrt)"},
	{subscribers.ErrExtraFields, "die Zeile hat mehr Felder als die Kopfzeile Spalten – steht ein Trennzeichen in einem Feld ohne Anführungszeichen?"},
	{subscribers.ErrCSVSyntax, "die Zeile ist kein gültiges CSV (Anführungszeichen prüfen)"},
	{subscribers.ErrNoEmailColumn, "die Datei hat keine Spalte „E-Mail“"},
	{subscribers.ErrDuplicateColumn, "zwei Spalten meinen dasselbe Feld"},
	{subscribers.ErrEmptyFile, "die Datei ist leer"},
	{subscribers.ErrFileTooLarge, "die Datei ist zu groß (höchstens 64 MiB)"},
	{subscribers.ErrExists, "die Adresse steht schon im Verteiler"},
	{subscribers.ErrSuppressed, "die Adresse ist gesperrt (Rundbrief abbestellt, gelöscht oder unzustellbar) und kann nur zurückkommen, wenn die Person den Rundbrief selbst wieder abonniert"},
	{subscribers.ErrConsentNote, "bei bestätigter Aufnahme ist --consent-note nötig: wann und wie hat die Person eingewilligt?"},
	{subscribers.ErrNotFound, "keine Person mit dieser Adresse im Verteiler"},
	{subscribers.ErrSalutation, "unbekannte Anrede; möglich sind Frau, Herr oder leer (auch Fr., Hr., divers, keine)"},
	{subscribers.ErrNoAddress, "ohne E-Mail-Adresse braucht ein Kontakt einen Namen und eine Telefonnummer"},
	{subscribers.ErrPhone, "die Telefonnummer darf nur Ziffern, Leerzeichen und + ( ) / - . enthalten (höchstens 40 Zeichen)"},
}

// explainSubscriberError says in German what is wrong with a value the
// subscribers package refused, or returns "" for an error it does not
// know (such as a database failure).
func explainSubscriberError(err error) string {
	for _, c := range subscriberErrorWords {
		if errors.Is(err, c.err) {
			return c.words
		}
	}
	return ""
}
