package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/compose"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/texts"
)

func newTextsCmd(a *app) *cobra.Command {
	return group("texts", "Die Texte der E-Mails und Seiten anpassen",
		`Alle Texte, die Empfängerinnen und Empfänger lesen – in den E-Mails und auf den Seiten –,
stehen in zwei Dateien: de.yaml und en.yaml. rundbrief bringt sie mit; eigene Fassungen
legen Sie in einen Ordner und nennen ihn in RUNDBRIEF_TEXTS. Dort genügen die Texte, die Sie
ändern; für alle anderen gilt der mitgelieferte. Geänderte Dateien gelten ab dem nächsten
Start von rundbrief (serve, worker, run) – ohne neues Programm.

Ablauf: export (die Dateien in einen Ordner schreiben) → ändern → check (prüfen) →
preview (eine E-Mail oder Seite ansehen) → RUNDBRIEF_TEXTS setzen und neu starten.`,
		newTextsExportCmd(a), newTextsCheckCmd(a), newTextsPreviewCmd(a), newTextsConsentCmd(a))
}

// catalog is the texts in effect: the shipped ones and those of
// RUNDBRIEF_TEXTS, with what is wrong in the latter.
func (a *app) catalog() (*texts.Catalog, []texts.Problem, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, nil, err
	}
	return texts.Load(cfg.Texts)
}

// checkedCatalog is the texts in effect, refused while they have
// problems: nothing goes out with a text the office did not mean.
func (a *app) checkedCatalog() (*texts.Catalog, error) {
	c, problems, err := a.catalog()
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		lines := make([]string, len(problems))
		for i, p := range problems {
			lines[i] = "  " + textProblemLine(p)
		}
		return nil, fmt.Errorf("die eigenen Texte (RUNDBRIEF_TEXTS) haben %s:\n%s\nBitte korrigieren; rundbrief texts check prüft sie", plural(len(problems), "Fehler", "Fehler"), strings.Join(lines, "\n"))
	}
	return c, nil
}

// textProblemWords say each problem of a texts file in German: %[1]s is
// the key, %[2]s the detail.
var textProblemWords = map[texts.ProblemKind]string{
	texts.ProblemSyntax:         "die Datei lässt sich nicht lesen (%[2]s); Einrückung, Doppelpunkte und Anführungszeichen prüfen",
	texts.ProblemUnknownKey:     "„%[1]s“ gibt es nicht (Tippfehler? rundbrief texts export zeigt alle Schlüssel)",
	texts.ProblemPlaceholder:    "{%[2]s} kann dieser Text nicht enthalten; möglich sind nur die Platzhalter des mitgelieferten Textes",
	texts.ProblemMissingHolder:  "{%[2]s} fehlt; ohne ihn fehlt in der E-Mail ein Link oder eine Angabe",
	texts.ProblemEmpty:          "„%[1]s“ ist leer",
	texts.ProblemConsentVersion: "der Text der Einwilligung hat sich geändert, die Version (%[2]s) aber nicht; bitte eine neue Version eintragen, z. B. das heutige Datum",
}

// textProblemLine says one problem with its file and line.
func textProblemLine(p texts.Problem) string {
	w, ok := textProblemWords[p.Kind]
	if !ok {
		w = string(p.Kind) + " %[2]s"
	}
	where := p.File
	if p.Line > 0 {
		where = fmt.Sprintf("%s, Zeile %d", p.File, p.Line)
	}
	key := ""
	if p.Key != "" && p.Kind != texts.ProblemUnknownKey {
		key = p.Key + ": "
	}
	return where + ": " + key + fmt.Sprintf(w, p.Key, p.Detail)
}

func newTextsExportCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "export ORDNER",
		Short: "Die mitgelieferten Texte zum Bearbeiten in einen Ordner schreiben",
		Long: `Schreibt de.yaml und en.yaml in den Ordner (er wird angelegt). Ändern Sie dort, was Sie
möchten – Texte, die Sie nicht ändern, können Sie auch löschen –, und nennen Sie den Ordner
in RUNDBRIEF_TEXTS. Vorhandene Dateien werden nicht überschrieben.`,
		Example: "  rundbrief texts export /etc/rundbrief/texte",
		Args:    exactArgs(1, "den Ordner"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("der Ordner %s lässt sich nicht anlegen: %w", dir, errors.Unwrap(err))
			}
			for _, lang := range i18n.All() {
				path := filepath.Join(dir, string(lang)+".yaml")
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
				if errors.Is(err, os.ErrExist) {
					return fmt.Errorf("%s gibt es schon; nichts überschrieben", path)
				}
				if err != nil {
					return fileError(path, err)
				}
				_, err = f.Write(texts.Shipped(lang))
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return fileError(path, err)
				}
				out(cmd, "%s geschrieben.\n", path)
			}
			out(cmd, "Weiter: Texte ändern, rundbrief texts check, dann RUNDBRIEF_TEXTS=%s setzen und rundbrief neu starten.\n", dir)
			return nil
		},
	}
}

func newTextsCheckCmd(a *app) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "check [--dir ORDNER]",
		Short: "Die eigenen Texte prüfen",
		Long: `Prüft die Dateien in RUNDBRIEF_TEXTS (oder --dir): unbekannte Schlüssel (Tippfehler),
Platzhalter, die ein Text nicht haben kann, fehlende Links, leere Texte, und ob der Text
der Einwilligung ohne neue Version geändert wurde – auch gegen die Fassungen, denen schon
jemand zugestimmt hat (aus der Datenbank, wenn sie erreichbar ist). Jeder Fehler mit Datei
und Zeile; der Rückgabewert ist 1, wenn es Fehler gibt.`,
		Example: "  rundbrief texts check\n  rundbrief texts check --dir ./texte",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				cfg, err := a.config()
				if err != nil {
					return err
				}
				dir = cfg.Texts
			}
			if dir == "" {
				out(cmd, "RUNDBRIEF_TEXTS ist nicht gesetzt: es gelten die mitgelieferten Texte. Eigene anlegen mit: rundbrief texts export ORDNER\n")
				return nil
			}
			known := map[i18n.Lang]map[string]string{}
			if s, err := a.store(cmd.Context()); err == nil {
				stored, err := s.ConsentTexts(cmd.Context())
				if err != nil {
					return err
				}
				for _, t := range stored {
					if known[t.Lang] == nil {
						known[t.Lang] = map[string]string{}
					}
					known[t.Lang][t.Version] = t.Text
				}
			} else {
				out(cmd, "Hinweis: Die Datenbank ist nicht erreichbar; die Einwilligung wird nur gegen die mitgelieferte Fassung geprüft.\n")
			}
			problems, err := texts.Check(dir, known)
			if err != nil {
				return err
			}
			if len(problems) == 0 {
				out(cmd, "Die Texte in %s sind in Ordnung.\n", dir)
				return nil
			}
			lines := make([]string, len(problems))
			for i, p := range problems {
				lines[i] = textProblemLine(p)
			}
			return fmt.Errorf("%s in %s:\n  %s", plural(len(problems), "Fehler", "Fehler"), dir, strings.Join(lines, "\n  "))
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "den Ordner prüfen statt RUNDBRIEF_TEXTS")
	return c
}

func newTextsConsentCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "consent",
		Short: "Die Fassungen der Einwilligung zeigen, denen zugestimmt wurde",
		Long: `Zeigt jede Version des Einwilligungstextes mit ihrem Wortlaut und seit wann sie auf dem
Formular steht. Das Einwilligungsprotokoll jeder Person nennt die Version, der sie zugestimmt hat.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			all, err := s.ConsentTexts(cmd.Context())
			if err != nil {
				return err
			}
			if len(all) == 0 {
				out(cmd, "Noch keine Fassung verwendet: Sie wird beim ersten Start der Webseiten (rundbrief serve oder run) festgehalten.\n")
				return nil
			}
			for _, t := range all {
				out(cmd, "Version %s (%s), seit %s:\n  %s\n\n", t.Version, t.Lang, when(t.FirstUsed), t.Text)
			}
			return nil
		},
	}
}

// recordConsentTexts keeps the consent wording in effect with its version,
// and refuses to start the pages if a version's wording has changed.
func (a *app) recordConsentTexts(ctx context.Context, s *subscribers.Store, c *texts.Catalog) error {
	for _, lang := range i18n.All() {
		version, text := c.Consent(lang)
		err := s.RecordConsentText(ctx, version, lang, text)
		if errors.Is(err, subscribers.ErrConsentTextChanged) {
			return fmt.Errorf("der Text der Einwilligung (%s) ist geändert, die Version %s aber nicht; Menschen haben der bisherigen Fassung zugestimmt. "+
				"Bitte in einwilligung.version eine neue Version eintragen (z. B. das heutige Datum); rundbrief texts consent zeigt die bisherigen", lang, version)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func newTextsPreviewCmd(a *app) *cobra.Command {
	var dir, lang string
	c := &cobra.Command{
		Use:   "preview SCHLÜSSEL",
		Short: "Die E-Mail oder Seite mit einem Text ansehen",
		Long: `Legt die E-Mail (als .eml, .html und .txt) oder die Seite (als .html), in der der Text mit
diesem Schlüssel steht, mit Beispieldaten in einen Ordner und nennt die Dateien. Es wird
nichts verschickt. Ein Abschnitt genügt: mails.willkommen, mails.einladung, seiten.subscribe.`,
		Example: "  rundbrief texts preview mails.willkommen.text\n  rundbrief texts preview mails.einladung --lang en\n  rundbrief texts preview seiten.subscribe.intro",
		Args:    exactArgs(1, "den Schlüssel, z. B. mails.willkommen.text"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.previewText(cmd.Context(), cmd.OutOrStdout(), args[0], dir, lang)
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "Ordner für die Dateien (Standard: vorschau-texte)")
	c.Flags().StringVar(&lang, "lang", "de", "Sprache: de oder en")
	return c
}

// previewText writes the mail or page that shows key.
func (a *app) previewText(ctx context.Context, w io.Writer, key, dir, lang string) error {
	c, err := a.checkedCatalog()
	if err != nil {
		return err
	}
	l := i18n.Lang(lang)
	if !slices.Contains(i18n.All(), l) {
		return fmt.Errorf("--lang %s: möglich sind de und en", lang)
	}
	if !slices.ContainsFunc(c.Keys(), func(k string) bool { return k == key || strings.HasPrefix(k, key+".") }) {
		return fmt.Errorf("den Schlüssel „%s“ gibt es nicht; rundbrief texts export zeigt alle", key)
	}
	if dir == "" {
		dir = "vorschau-texte"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fileError(dir, err)
	}
	name := strings.NewReplacer(".", "-", "ä", "ae", "ö", "oe", "ü", "ue").Replace(key)
	if strings.HasPrefix(key, "seiten.") || strings.HasPrefix(key, "einwilligung") || strings.HasPrefix(key, "woerter") {
		return a.previewPage(ctx, w, c, key, filepath.Join(dir, name+".html"), l)
	}
	m, err := a.sampleMail(c, key, l)
	if err != nil {
		return err
	}
	return writeMailFiles(w, m, filepath.Join(dir, name))
}

// sampleMail is the mail that shows key, for a made-up person and event.
func (a *app) sampleMail(c *texts.Catalog, key string, lang i18n.Lang) (*mailer.Message, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	r, err := a.rendererWith(c)
	if err != nil {
		return nil, err
	}
	keys, err := a.keyring()
	if err != nil {
		return nil, err
	}
	comp := &compose.Composer{Templates: r, Keys: keys, From: cfg.FromAddress(), ReplyTo: cfg.ReplyToAddress(), Logos: logos(cfg),
		Links: compose.Links{Base: cfg.BaseURL}, OptInTTL: time.Duration(cfg.OptInTTL)}
	now := time.Now()
	to := &subscribers.Contact{ID: 1, Email: "sabine.koehler@example.org", Name: "Sabine Köhler", Salutation: "ms", Language: lang, Status: subscribers.StatusConfirmed}
	sub := &subscribers.Subscriber{ID: 1, Email: to.Email, Name: to.Name, Language: lang, Kind: subscribers.KindFamily, Topics: []string{"jugend"}}
	section := strings.SplitN(strings.TrimPrefix(key, "mails."), ".", 2)[0]
	event := sampleEvent(now)
	switch section {
	case "bestaetigung":
		return comp.Subscription(subscribers.MailOptIn, sub, nil, now)
	case "erlaubnis":
		sub.RequestedVia = subscribers.SourceRequest
		return comp.Subscription(subscribers.MailOptIn, sub, nil, now)
	case "willkommen":
		return comp.Subscription(subscribers.MailWelcome, sub, nil, now)
	case "einstellungslink":
		return comp.Subscription(subscribers.MailPreferences, sub, nil, now)
	case "anmeldung":
		reg := &events.Registration{ID: 1, EventID: event.ID, SubscriberID: 1, People: 2, Status: events.Registered}
		return comp.Registration(events.MailRegistered, reg, event, to, now)
	}
	// A campaign about the sample event: the invitation (also for the
	// facts, the calendar and the words every mail has), the last call,
	// a reminder, an update or a cancellation.
	kind := map[string]campaigns.Kind{"anmeldeschluss_naht": campaigns.KindLastCall, "erinnerung": campaigns.KindReminder,
		"aenderung": campaigns.KindUpdate, "absage": campaigns.KindCancellation}[section]
	if kind == "" {
		kind = campaigns.KindInvitation
	}
	if kind == campaigns.KindCancellation {
		event.Status = events.StatusCancelled
	}
	camp := &campaigns.Campaign{ID: 1, Kind: kind, EventID: &event.ID, Greeting: campaigns.GreetingFormal,
		Audience: subscribers.Audience{Kinds: event.Kinds, Topics: event.Topics, Event: true}}
	p, err := comp.Prepare(camp, campaigns.Facts{Event: event}, now)
	if err != nil {
		return nil, err
	}
	return p.Message(to, now), nil
}

// sampleEvent is the event the previews show: the Talent-Campus of the
// examples, five days, a year from now.
func sampleEvent(now time.Time) *events.Event {
	day := time.Date(now.Year()+1, time.July, 5, 9, 0, 0, 0, events.Berlin())
	spec := events.Spec{
		Slug: "talent-campus", Title: "Talent-Campus: Hip-Hop, Breakdance, Videodreh",
		TitleEN:       "Talent Campus: hip-hop, breakdance, making a video",
		Description:   "Fünf Tage in den Sommerferien: Hip-Hop, Breakdance und ein eigener Videodreh mit Profis. Kostenlos, mit Mittagessen.",
		DescriptionEN: "Five days in the summer holidays: hip-hop, breakdance and a video shoot of their own with professionals. Free of charge, lunch included.",
		PlaceName:     "Kreisvolkshochschule Nordhausen", PlaceAddress: "Käthe-Kollwitz-Straße 17, 99734 Nordhausen",
		Organiser: "Kommunale Netzwerkstelle Fachkräftesicherung", Partners: []string{"Kreisjugendring Nordhausen"},
		ForWhom: "Jugendliche von 12 bis 18 Jahren", ForWhomEN: "Young people aged 12 to 18",
		Contact:      events.Contact{Name: "Anja Berger", Phone: "03631 911-0", Email: "fachkraefte@example.org"},
		Registration: true, Capacity: 60, PartyMax: 4,
	}
	for i := range 5 {
		start := day.AddDate(0, 0, i)
		spec.Sessions = append(spec.Sessions, events.Session{Start: start, End: start.Add(6 * time.Hour)})
	}
	spec.Start, spec.End = spec.Sessions[0].Start, spec.Sessions[4].End
	deadline := day.AddDate(0, 0, -10).Add(14*time.Hour + 59*time.Minute)
	spec.Deadline = &deadline
	return &events.Event{ID: 1, Spec: spec, Status: events.StatusPublished, CalendarUID: "vorschau"}
}

// previewPage writes the page that shows key, as the web server serves it
// (with the database's topics and events), to file.
func (a *app) previewPage(ctx context.Context, w io.Writer, c *texts.Catalog, key, file string, lang i18n.Lang) error {
	path := "/"
	group := strings.SplitN(strings.TrimPrefix(key, "seiten."), ".", 2)[0]
	switch {
	case strings.HasPrefix(key, "seiten.fail.404"):
		path = "/gibt-es-nicht"
	case group == "event":
		st, err := a.stores(ctx)
		if err != nil {
			return err
		}
		evs, err := st.events.List(ctx, events.StatusPublished)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return errors.New("für die Seite einer Veranstaltung braucht die Vorschau eine veröffentlichte Veranstaltung (rundbrief events publish KÜRZEL)")
		}
		path = "/events/" + evs[0].Slug
	case slices.Contains([]string{"confirm", "confirmed", "preferences", "saved", "unsubscribed", "delete", "deleted", "register", "cancel", "data"}, group):
		return fmt.Errorf("diese Seite öffnet nur ein persönlicher Link; schicken Sie sich eine Testmail (rundbrief campaigns test NR --to IHRE-ADRESSE) und öffnen Sie den Link darin")
	}
	srv, err := a.newWebServerWith(ctx, c)
	if err != nil {
		return err
	}
	req := httptest.NewRequest(http.MethodGet, path+"?lang="+string(lang), nil)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if err := os.WriteFile(file, rec.Body.Bytes(), 0o640); err != nil {
		return fileError(file, err)
	}
	fmt.Fprintf(w, "%s\n", file)
	return nil
}
