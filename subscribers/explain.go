package subscribers

import (
	"errors"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// Explain says in lang, in words for staff and subscribers, what is wrong
// with a value that this package refused, or returns "" for an error it
// does not know (such as a database failure).
func Explain(err error, lang i18n.Lang) string {
	en := lang == i18n.English
	for _, c := range []struct {
		err    error
		de, en string
	}{
		{ErrEmailEmpty, "E-Mail-Adresse fehlt", "the e-mail address is missing"},
		{ErrEmailControl, "die E-Mail-Adresse enthält ein Leerzeichen, einen Zeilenumbruch oder ein Steuerzeichen",
			"the e-mail address contains a space, line break or control character"},
		{ErrEmailDisplayName, "bitte nur die Adresse angeben, ohne Namen, Kommentar, Anführungszeichen oder spitze Klammern",
			"give the bare address, without a name, comment, quotes or angle brackets"},
		{ErrEmailSyntax, "keine gültige E-Mail-Adresse (Form: name@beispiel.de)", "not a valid e-mail address (form: name@example.org)"},
		{ErrEmailTooLong, "die E-Mail-Adresse ist zu lang", "the e-mail address is too long"},
		{ErrEmailDomain, "die E-Mail-Adresse hat keine gültige Domain (Teil nach dem @, z. B. beispiel.de)",
			"the e-mail address has no valid domain (the part after the @, e.g. example.org)"},
		{ErrUnknownKind, "unbekannte Art; möglich sind Unternehmen, Schule, Familie, Sonstige",
			"unknown kind; use company, school, family or other"},
		{ErrKindMissing, "die Art fehlt (Unternehmen, Schule, Familie oder Sonstige); für alle Zeilen ohne Art kann --kind sie vorgeben",
			"the kind is missing (company, school, family or other); --kind sets it for all rows without one"},
		{ErrUnknownTopic, "unbekanntes Thema", "unknown topic"},
		{i18n.ErrUnknown, "unbekannte Sprache; möglich sind de (Deutsch) und en (Englisch)", "unknown language; use de (German) or en (English)"},
		{ErrTextTooLong, "zu lang (höchstens 200 Zeichen)", "too long (at most 200 characters)"},
		{ErrTextControl, "enthält einen Zeilenumbruch, ein Steuerzeichen oder ein unsichtbares Zeichen (etwa eines, das die Schreibrichtung umkehrt)",
			"contains a line break, a control character or an invisible character (such as one that reverses the writing direction)"},
		{ErrExtraFields, "die Zeile hat mehr Felder als die Kopfzeile Spalten – steht ein Trennzeichen in einem Feld ohne Anführungszeichen?",
			"the row has more fields than the header has columns – is a separator inside a field without quotes?"},
		{ErrCSVSyntax, "die Zeile ist kein gültiges CSV (Anführungszeichen prüfen)", "the row is not valid CSV (check the quotes)"},
		{ErrNoEmailColumn, "die Datei hat keine Spalte „E-Mail“", "the file has no \"email\" column"},
		{ErrDuplicateColumn, "zwei Spalten meinen dasselbe Feld", "two columns mean the same field"},
		{ErrEmptyFile, "die Datei ist leer", "the file is empty"},
		{ErrFileTooLarge, "die Datei ist zu groß (höchstens 64 MiB)", "the file is too large (at most 64 MiB)"},
		{ErrExists, "die Adresse steht schon im Verteiler", "the address is on the list already"},
		{ErrSuppressed, "die Adresse ist gesperrt (abgemeldet, gelöscht oder unzustellbar) und kann nur durch eine eigene Anmeldung der Person zurückkommen",
			"the address is blocked (unsubscribed, erased or undeliverable) and can only come back if the person subscribes again"},
		{ErrConsentNote, "bei bestätigter Aufnahme ist --consent-note nötig: wann und wie hat die Person eingewilligt?",
			"a confirmed subscription needs --consent-note: when and how did the person agree?"},
		{ErrNotFound, "keine Person mit dieser Adresse im Verteiler", "no subscriber with this address"},
	} {
		if errors.Is(err, c.err) {
			if en {
				return c.en
			}
			return c.de
		}
	}
	return ""
}
