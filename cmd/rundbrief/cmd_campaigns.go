package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

func newCampaignsCmd(a *app) *cobra.Command {
	return group("campaigns", "Einladungen und Rundbriefe verschicken",
		`Eine Kampagne ist eine Einladung zu einer Veranstaltung oder ein Rundbrief. Sie geht an
eine Zielgruppe (Arten × Themen): bestätigte Abonnentinnen und Abonnenten, deren Art
passt und die mindestens eines der Themen gewählt haben; eine leere Liste heißt „alle“.
Abgemeldete, unzustellbare und gesperrte Adressen bekommen nie etwas.

Ablauf: create (Entwurf; edit ändert ihn, delete löscht ihn) → preview und test (ansehen, an sich selbst schicken) →
send (jetzt oder mit --at zu einer Zeit) → status --watch (Fortschritt). Ein laufender
Versand lässt sich mit pause anhalten, mit resume fortsetzen und mit cancel abbrechen.
Verschickt wird vom Worker (rundbrief worker oder rundbrief run).`,
		newCampaignsCreateCmd(a), newCampaignsEditCmd(a), newCampaignsDeleteCmd(a), newCampaignsListCmd(a), newCampaignsShowCmd(a), newCampaignsPreviewCmd(a),
		newCampaignsTestCmd(a), newCampaignsSendCmd(a), newCampaignsStatusCmd(a),
		newCampaignsPauseCmd(a), newCampaignsResumeCmd(a), newCampaignsCancelCmd(a))
}

// campaign opens the campaign store and loads the campaign numbered arg.
// campaignProgress loads the campaign arg names and counts its
// deliveries by status.
func (a *app) campaignProgress(ctx context.Context, arg string) (*campaigns.Store, *campaigns.Campaign, campaigns.Progress, error) {
	s, camp, err := a.campaign(ctx, arg)
	if err != nil {
		return nil, nil, campaigns.Progress{}, err
	}
	p, err := s.Progress(ctx, camp.ID)
	return s, camp, p, err
}

func (a *app) campaign(ctx context.Context, arg string) (*campaigns.Store, *campaigns.Campaign, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil, fmt.Errorf("%q ist keine Kampagnennummer; rundbrief campaigns list zeigt alle", arg)
	}
	s, err := a.campaignStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, nil, campaignError(err)
	}
	return s, c, nil
}

// campaignError explains an error of the campaigns package in German.
func campaignError(err error) error {
	var (
		notReady *campaigns.EventNotReadyError
		status   *campaigns.StatusError
	)
	var invalid *campaigns.InvalidError
	switch {
	case errors.As(err, &status):
		return fmt.Errorf("Kampagne %d hat inzwischen den Status „%s“ – vermutlich hat sie gerade jemand anderes verschickt, "+
			"geplant oder abgebrochen; nichts wurde geändert. Den Stand zeigt: rundbrief campaigns status %d",
			status.ID, word(campaignStatusWords, status.Status), status.ID)
	case errors.Is(err, campaigns.ErrNotFound):
		return errors.New("diese Kampagne gibt es nicht; rundbrief campaigns list zeigt alle")
	case errors.As(err, &notReady) && notReady.Closed:
		return fmt.Errorf("die Anmeldung zu %s ist schon geschlossen (Anmeldeschluss vorbei oder die Veranstaltung hat begonnen)", notReady.Slug)
	case errors.As(err, &notReady) && notReady.NoRegistration:
		return fmt.Errorf("%s hat keine Anmeldung; an einen Anmeldeschluss gibt es nichts zu erinnern", notReady.Slug)
	case errors.As(err, &notReady) && notReady.Over:
		return fmt.Errorf("die Veranstaltung %s ist vorbei; dazu lädt niemand mehr ein", notReady.Slug)
	case errors.As(err, &notReady) && notReady.Status == events.StatusDraft:
		return fmt.Errorf("die Veranstaltung %s ist noch ein Entwurf; zuerst veröffentlichen: rundbrief events publish %s", notReady.Slug, notReady.Slug)
	case errors.As(err, &notReady):
		return fmt.Errorf("die Veranstaltung %s ist abgesagt; dazu lädt niemand mehr ein", notReady.Slug)
	case errors.As(err, &invalid):
		return fmt.Errorf("die Kampagne ist fehlerhaft: %s", campaignProblemLine(invalid))
	case errors.Is(err, events.ErrNotFound):
		return eventError(err)
	case errors.Is(err, subscribers.ErrUnknownTopic), errors.Is(err, subscribers.ErrUnknownKind):
		return explain(err)
	}
	return err
}

// statusError says in German that c's status does not allow action.
func statusError(c *campaigns.Campaign, action string) error {
	return fmt.Errorf("Kampagne %d hat den Status „%s“; %s ist nicht möglich", c.ID, word(campaignStatusWords, c.Status), action)
}

func newCampaignsCreateCmd(a *app) *cobra.Command {
	var (
		event, subject, body, subjectEN, bodyEN string
		intro, introEN                          string
		kinds, topics, attach                   []string
		asJSON, newOnly, archive                bool
		greeting                                string
	)
	c := &cobra.Command{
		Use:   "create invitation|newsletter",
		Short: "Eine Einladung oder einen Rundbrief als Entwurf anlegen",
		Long: `Legt eine Kampagne als Entwurf an; verschickt wird erst mit rundbrief campaigns send.

Eine Einladung (invitation) gehört zu einer Veranstaltung (--event) und nimmt deren
Texte, Zeiten und Zielgruppe; --kinds und --topics ändern die Zielgruppe. Sie hat eine
Tabelle mit Wann, Wo, Online, Für wen und Anmeldeschluss, die Beschreibung, einen Knopf
„Jetzt anmelden“ (oder „Mehr erfahren“), einen Link für Google Kalender und die
Kalenderdatei (.ics) im Anhang. Mit --new-only ist sie eine Nachladung: Sie geht nur an
die, die noch keine Einladung zu dieser Veranstaltung bekommen haben – etwa wer sich
seither angemeldet und bestätigt hat. --subject gibt ihr einen eigenen Betreff (sonst
„Einladung: Titel“), --intro einen eigenen Absatz über der Tabelle (sonst „herzlich laden
wir Sie zu dieser Veranstaltung ein.“; Absätze durch eine Leerzeile trennen). Beginnt er
mit einer eigenen Anrede („Liebe Eltern,“), entfällt die übliche.

Ein Rundbrief (newsletter) hat einen Betreff (--subject) und einen Text in Markdown
(--body DATEI.md). Bilder darin gibt der Text als Datei an, z. B. ![Die Preisträgerinnen](bilder/preis.jpg)
(Pfad von der Markdown-Datei aus; JPEG oder PNG, breitere als 1200 Pixel werden verkleinert):
Sie reisen in der Mail mit, nichts wird beim Öffnen nachgeladen. --attach hängt Dateien an
(PDF, JPEG, PNG oder .ics, zusammen höchstens 5 MB), bei jeder Art von Kampagne. --subject-en und --body-en geben die englische Fassung; ohne sie
bekommen englischsprachige Empfängerinnen und Empfänger die deutsche.

Eine Nachbereitung (followup) schreibt nach der Veranstaltung an die, die gekommen sind
(rundbrief events attend): mit --event, --subject und --body wie ein Rundbrief, etwa ein
Dank mit dem Link zur Umfrage, und mit --attach die Folien. Sie ist eine Mail zur
Anmeldung, ohne Abmeldelink, und erreicht auch Kontakte „nur Veranstaltung“.`,
		Example: `  rundbrief campaigns create invitation --event talent-campus-2027
  rundbrief campaigns create invitation --event job-speeddating-2027 --kinds Unternehmen
  rundbrief campaigns create invitation --event talent-campus-2027 --new-only
  rundbrief campaigns create invitation --event talent-campus-2027 --subject "Sommerferien: Talent-Campus für Ihre Kinder" \
    --intro "Liebe Eltern, in den Sommerferien wird getanzt, gefilmt und gerappt – kostenlos und mit Mittagessen."
  rundbrief campaigns create newsletter --subject "Rundbrief Dezember 2026" --body dezember.md --topics ausbildung,fachkraefte
  rundbrief campaigns create followup --event job-speeddating-2027 --subject "Danke für Ihr Kommen" --body danke.md --attach folien.pdf`,
		Args:      exactArgs(1, "die Art: invitation (Einladung), newsletter (Rundbrief) oder followup (Nachbereitung)"),
		ValidArgs: []string{"invitation", "newsletter", "followup"},
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			return a.createCampaign(cmd.Context(), cmd.OutOrStdout(), createOptions{
				Kind: args[0], Event: event, Subject: subject, Body: body, SubjectEN: subjectEN, BodyEN: bodyEN, Intro: intro, IntroEN: introEN, Attach: attach, Archive: archive, SetArchive: fl.Changed("archive"),
				Kinds: kinds, Topics: topics, SetKinds: fl.Changed("kinds"), SetTopics: fl.Changed("topics"), NewOnly: newOnly, Greeting: greeting, JSON: asJSON})
		},
	}
	f := c.Flags()
	f.StringVar(&event, "event", "", "Einladung: das Kürzel der Veranstaltung")
	f.StringVar(&subject, "subject", "", "der Betreff (Einladung: ein eigener statt „Einladung: Titel“)")
	f.StringVar(&body, "body", "", "Rundbrief: der Text als Markdown-Datei")
	f.StringVar(&subjectEN, "subject-en", "", "der englische Betreff (optional)")
	f.StringVar(&intro, "intro", "", "Einladung: ein eigener Absatz über der Tabelle, z. B. „Liebe Eltern, …“")
	f.StringVar(&introEN, "intro-en", "", "Einladung: der eigene Absatz auf Englisch (für Veranstaltungen mit title_en)")
	f.StringVar(&bodyEN, "body-en", "", "Rundbrief: der englische Text als Markdown-Datei (mit --subject-en)")
	f.StringSliceVar(&kinds, "kinds", nil, "Zielgruppe: Arten, z. B. Unternehmen,Schule (leer: alle; Einladung: wie die Veranstaltung)")
	f.StringSliceVar(&topics, "topics", nil, "Zielgruppe: Themen-Kürzel, z. B. ausbildung,jugend (leer: alle; Einladung: wie die Veranstaltung)")
	f.StringVar(&greeting, "anrede", "förmlich", "förmlich: „Sehr geehrte Frau Köhler,“, wo die Anrede bekannt ist; neutral: „Guten Tag Sabine Köhler,“")
	f.BoolVar(&archive, "archive", false, "nach dem Versand im öffentlichen Archiv /rundbrief zeigen (Standard: ja bei Rundbriefen, nein bei Einladungen; --archive=false)")
	f.StringArrayVar(&attach, "attach", nil, "eine Datei anhängen (PDF, JPEG, PNG, .ics; zusammen höchstens 5 MB); mehrmals möglich")
	f.BoolVar(&newOnly, "new-only", false, "Einladung: nur an die, die noch keine Einladung zu dieser Veranstaltung bekommen haben")
	f.BoolVar(&asJSON, "json", false, "die angelegte Kampagne als JSON ausgeben")
	return c
}

// createOptions are what `campaigns create` takes.
type createOptions struct {
	Kind          string // invitation or newsletter (Einladung, Rundbrief)
	Event         string // an invitation's event, by slug
	Subject, Body string // a newsletter's subject and Markdown file
	SubjectEN     string // the English subject, optional
	BodyEN        string // the English Markdown file, with SubjectEN
	Intro         string // an invitation's own paragraph
	IntroEN       string
	Attach        []string // files to attach
	Archive       bool     // show in the public archive once sent (with SetArchive)
	SetArchive    bool
	Kinds, Topics []string
	SetKinds      bool   // Kinds was given (an invitation takes the event's otherwise)
	SetTopics     bool   // Topics was given
	NewOnly       bool   // an invitation to those not yet invited to the event
	Greeting      string // förmlich or neutral
	JSON          bool   // print the campaign as JSON
}

// readCampaignText reads the Markdown of a newsletter or a follow-up from
// the files o names into spec, with the pictures they show.
func readCampaignText(spec *campaigns.Spec, o createOptions) error {
	var err error
	if spec.Body, err = readBody("--body", o.Body, true); err != nil {
		return err
	}
	if spec.BodyEN, err = readBody("--body-en", o.BodyEN, o.SubjectEN != ""); err != nil {
		return err
	}
	var pics pictures
	if spec.Body, err = pics.embed("--body", o.Body, spec.Body); err != nil {
		return err
	}
	if spec.BodyEN, err = pics.embed("--body-en", o.BodyEN, spec.BodyEN); err != nil {
		return err
	}
	spec.Files = pics.files
	return nil
}

// createCampaign checks o, creates the campaign as a draft and says what
// comes next.
func (a *app) createCampaign(ctx context.Context, w io.Writer, o createOptions) error {
	spec := campaigns.Spec{Event: o.Event, Subject: o.Subject, SubjectEN: o.SubjectEN, Intro: o.Intro, IntroEN: o.IntroEN,
		NewOnly: o.NewOnly, Greeting: parseGreeting(o.Greeting)}
	switch strings.ToLower(o.Kind) {
	case "invitation", "einladung":
		spec.Kind = campaigns.KindInvitation
		if o.Event == "" {
			return errors.New("eine Einladung braucht --event KÜRZEL (rundbrief events list zeigt alle)")
		}
		if o.Body != "" || o.BodyEN != "" {
			return errors.New("eine Einladung nimmt ihren Text von der Veranstaltung; --body gilt für Rundbriefe, für einen eigenen Absatz: --intro")
		}
	case "followup", "nachbereitung":
		spec.Kind = campaigns.KindFollowUp
		switch {
		case o.Event == "":
			return errors.New("eine Nachbereitung braucht --event KÜRZEL: sie geht an die, die zu dieser Veranstaltung gekommen sind")
		case o.NewOnly || o.Intro != "" || o.IntroEN != "":
			return errors.New("--new-only und --intro gelten nur für Einladungen")
		case o.SetKinds || o.SetTopics:
			return errors.New("eine Nachbereitung geht an die Anwesenden (rundbrief events attend), nicht an eine Zielgruppe: --kinds und --topics entfallen")
		}
		if err := readCampaignText(&spec, o); err != nil {
			return err
		}
	case "newsletter", "rundbrief":
		spec.Kind = campaigns.KindNewsletter
		if o.NewOnly {
			return errors.New("--new-only gilt nur für Einladungen: Sie gehen dann nur an die, die noch keine Einladung zur Veranstaltung bekamen")
		}
		if o.Intro != "" || o.IntroEN != "" {
			return errors.New("--intro gilt nur für Einladungen; ein Rundbrief beginnt mit seinem eigenen Text")
		}
		if o.Event != "" {
			return errors.New("ein Rundbrief gehört zu keiner Veranstaltung; für eine Einladung: rundbrief campaigns create invitation --event " + o.Event)
		}
		if err := readCampaignText(&spec, o); err != nil {
			return err
		}
	default:
		return fmt.Errorf("„%s“: möglich sind invitation (Einladung), newsletter (Rundbrief) und followup (Nachbereitung)", o.Kind)
	}
	attachments, err := readAttachments(o.Attach)
	if err != nil {
		return err
	}
	if o.SetArchive {
		spec.Archive = &o.Archive
	}
	spec.Files = append(spec.Files, attachments...)
	if o.SetKinds || o.SetTopics {
		aud, err := a.audience(ctx, spec.Kind, o)
		if err != nil {
			return err
		}
		spec.Audience = aud
	}
	store, err := a.campaignStore(ctx)
	if err != nil {
		return err
	}
	a.started = true
	camp, err := store.Create(ctx, spec)
	if errors.Is(err, events.ErrNotFound) {
		return fmt.Errorf("--event %s: %w", o.Event, eventError(err))
	}
	if err != nil {
		return campaignError(err)
	}
	if o.JSON {
		return writeJSON(w, camp)
	}
	n, err := countRecipients(ctx, store, camp)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Kampagne %d angelegt (Entwurf): %s\nZielgruppe: %s – derzeit %s.\n", camp.ID, titleOf(camp),
		campaignAudienceLabel(camp), recipients(n))
	fmt.Fprintf(w, "Weiter: rundbrief campaigns preview %d, rundbrief campaigns test %d --to IHRE-ADRESSE, rundbrief campaigns send %d\n",
		camp.ID, camp.ID, camp.ID)
	return nil
}

// audience is the audience o gives a campaign of kind: the kinds and
// topics given, and for an invitation the event's where only one of the
// two is given.
func (a *app) audience(ctx context.Context, kind campaigns.Kind, o createOptions) (*subscribers.Audience, error) {
	s, err := a.store(ctx)
	if err != nil {
		return nil, err
	}
	var aud subscribers.Audience
	if kind == campaigns.KindInvitation && (!o.SetKinds || !o.SetTopics) {
		_, ev, err := a.event(ctx, o.Event)
		if err != nil {
			return nil, err
		}
		aud = subscribers.Audience{Kinds: ev.Kinds, Topics: ev.Topics}
	}
	if o.SetKinds {
		aud.Kinds = nil
		for _, k := range o.Kinds {
			kind, err := subscribers.ParseKind(k)
			if err != nil {
				return nil, explain(err)
			}
			aud.Kinds = append(aud.Kinds, kind)
		}
	}
	if o.SetTopics {
		known, err := s.Topics(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range o.Topics {
			if !slices.ContainsFunc(known, func(k subscribers.Topic) bool { return k.Slug == t }) {
				return nil, fmt.Errorf("--topics: unbekanntes Thema „%s“; alle Themen: rundbrief topics list", t)
			}
		}
		aud.Topics = o.Topics
	}
	if _, err := s.CheckAudience(ctx, aud); err != nil {
		return nil, explain(err)
	}
	return &aud, nil
}

// readBody reads a Markdown file named by flag.
func readBody(flag, path string, required bool) (string, error) {
	if path == "" {
		if required {
			return "", fmt.Errorf("%s DATEI.md fehlt: der Text des Rundbriefs in Markdown", flag)
		}
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, fileError(path, err))
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", fmt.Errorf("%s: die Datei %s ist leer", flag, path)
	}
	return string(b), nil
}

// countRecipients counts who c would reach if it were sent now.
func countRecipients(ctx context.Context, s *campaigns.Store, c *campaigns.Campaign) (int, error) {
	n := 0
	err := s.EachRecipient(ctx, c, func(subscribers.Match) error { n++; return nil })
	return n, err
}

// campaignAudienceLabel says in German whom c goes to.
func campaignAudienceLabel(c *campaigns.Campaign) string {
	switch {
	case c.Kind == campaigns.KindFollowUp:
		return "wer zur Veranstaltung gekommen ist (rundbrief events attend)"
	case c.ToRegistered:
		return "wer zur Veranstaltung angemeldet ist"
	}
	if c.NewOnly {
		return audienceLabel(c.Audience) + ", nur wer noch keine Einladung bekam"
	}
	return audienceLabel(c.Audience)
}

// audienceLabel says in German who an audience is.
func audienceLabel(a subscribers.Audience) string {
	kinds := "alle Arten"
	if len(a.Kinds) > 0 {
		var ks []string
		for _, k := range a.Kinds {
			ks = append(ks, templates.KindName(k, i18n.German))
		}
		kinds = strings.Join(ks, ", ")
	}
	topics := "alle Themen"
	if len(a.Topics) > 0 {
		topics = "Themen " + strings.Join(a.Topics, ", ")
		if a.Event && !slices.Contains(a.Topics, subscribers.TopicAllEvents) {
			topics += " (und wer „alle Veranstaltungen“ gewählt hat)"
		}
	}
	return kinds + " × " + topics
}
