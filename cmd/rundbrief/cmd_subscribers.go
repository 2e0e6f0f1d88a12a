package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

func newSubscribersCmd(a *app) *cobra.Command {
	return group("subscribers", "Personen im Verteiler: aufnehmen, importieren, anzeigen, löschen",
		`Personen im Verteiler: Unternehmen, Schulen, Familien und Partner mit ihren Themen.`,
		newSubscribersAddCmd(a),
		newImportCmd(a),
		newSubscribersListCmd(a),
		newSubscribersShowCmd(a),
		newSubscribersUpdateCmd(a),
		newSubscribersDeleteCmd(a),
	)
}

// explain says what is wrong with a refused subscriber, in German; other
// errors pass through.
func explain(err error) error {
	if msg := explainSubscriberError(err); msg != "" {
		return errors.New(msg)
	}
	return err
}

func newSubscribersAddCmd(a *app) *cobra.Command {
	var (
		n         subscribers.NewSubscriber
		kind      string
		language  string
		confirmed bool
		note      string
	)
	c := &cobra.Command{
		Use:   "add E-MAIL",
		Short: "Eine Person aufnehmen (erhält eine Bestätigungsmail)",
		Long: `Nimmt eine Person in den Verteiler auf. Sie ist zunächst unbestätigt und
erhält eine Mail mit einem Bestätigungslink (Double-Opt-in). Nur wenn die
Einwilligung nachweislich schon vorliegt, nimmt --confirmed die Person direkt
auf; --consent-note hält dann fest, wann und wie sie eingewilligt hat.`,
		Example: `  rundbrief subscribers add personal@metallbau.example --kind Unternehmen \
      --name "Jörg Müller" --organisation "Südharz Metallbau GmbH" --topics ausbildung,fachkraefte

  rundbrief subscribers add eltern@example.org --kind Familie --topics Kinderbetreuung \
      --confirmed --consent-note "Anmeldekarte Talent-Campus, 14.09.2026"`,
		Args: exactArgs(1, "eine E-Mail-Adresse"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.addSubscriber(cmd.Context(), cmd.OutOrStdout(), addOptions{Subscriber: subscribers.NewSubscriber{Email: args[0], Kind: subscribers.Kind(kind), Language: i18n.Lang(language), Name: n.Name, Organisation: n.Organisation, Topics: n.Topics}, Confirmed: confirmed, Note: note})
		},
	}
	f := c.Flags()
	f.StringVar(&kind, "kind", "", "Art: Unternehmen, Schule, Familie oder Sonstige (Pflicht)")
	f.StringVar(&n.Name, "name", "", "Name der Ansprechperson")
	f.StringVar(&n.Organisation, "organisation", "", "Unternehmen, Schule oder Einrichtung")
	f.StringSliceVar(&n.Topics, "topics", nil, "Themen, durch Komma getrennt (Kürzel oder Titel)")
	f.StringVar(&language, "language", "de", "Sprache der Mails: de oder en")
	f.BoolVar(&confirmed, "confirmed", false, "ohne Bestätigungsmail aufnehmen (Einwilligung liegt nachweislich vor)")
	f.StringVar(&note, "consent-note", "", "Nachweis der Einwilligung (mit --confirmed)")
	return c
}

func newSubscribersListCmd(a *app) *cobra.Command {
	var (
		kind, status, topic string
		limit               int
		asJSON              bool
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "Personen auflisten, nach Art, Thema oder Status gefiltert",
		Example: `  rundbrief subscribers list
  rundbrief subscribers list --kind Schule --topic ausbildung --status bestätigt
  rundbrief subscribers list --json --limit 0 > verteiler.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.listSubscribers(cmd.Context(), cmd.OutOrStdout(), listOptions{Kind: kind, Status: status, Topic: topic, Limit: limit, JSON: asJSON})
		},
	}
	f := c.Flags()
	f.StringVar(&kind, "kind", "", "nur diese Art (Unternehmen, Schule, Familie, Sonstige)")
	f.StringVar(&topic, "topic", "", "nur mit diesem Thema (Kürzel oder Titel)")
	f.StringVar(&status, "status", "", "nur mit diesem Status (unbestätigt, bestätigt, abbestellt, unzustellbar, „nur Veranstaltung“)")
	f.IntVar(&limit, "limit", 100, "höchstens so viele Personen; 0 für alle")
	f.BoolVar(&asJSON, "json", false, "als JSON ausgeben")
	return c
}

// subscriberDetails is what `subscribers show --json` prints.
type subscriberDetails struct {
	*subscribers.Subscriber
	ConsentLog []subscribers.ConsentEntry `json:"consent_log"`
	Mails      []subscribers.Mail         `json:"mails"`
	Campaigns  []campaigns.Received       `json:"campaigns"`
	// Bounces are the reports of mail servers about mails to the person:
	// class and code only.
	Bounces []subscribers.BounceEntry `json:"bounces"`
}

func newSubscribersShowCmd(a *app) *cobra.Command {
	var asJSON, consent bool
	c := &cobra.Command{
		Use:   "show E-MAIL",
		Short: "Alles zu einer Person zeigen: Angaben, Themen, Einwilligung, Mails",
		Long: `Zeigt Angaben, Themen, eine Übersicht der Einwilligung, die Mails zum Abonnement und
die Kampagnen, die an die Person gingen – mit der Art und den Themen, wegen derer sie
zur Zielgruppe gehörte („Warum bekomme ich das?“).
Mit --consent erscheint der vollständige Einwilligungsnachweis (DSGVO Art. 7 Abs. 1):
jeder Vorgang mit Zeit, Quelle, Version des Einwilligungstextes, Message-ID der
Bestätigungsmail und – nur wenn RUNDBRIEF_RECORD_IP=true – IP-Adresse und Browser.`,
		Example: `  rundbrief subscribers show personal@metallbau.example
  rundbrief subscribers show personal@metallbau.example --consent`,
		Args: exactArgs(1, "eine E-Mail-Adresse"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.showSubscriber(cmd.Context(), cmd.OutOrStdout(), showOptions{Email: args[0], JSON: asJSON, Consent: consent})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "als JSON ausgeben")
	c.Flags().BoolVar(&consent, "consent", false, "den vollständigen Einwilligungsnachweis zeigen")
	return c
}

// printConsentProof prints every consent log entry with all it records.
func printConsentProof(w io.Writer, sub *subscribers.Subscriber, log []subscribers.ConsentEntry) {
	fmt.Fprintf(w, "Einwilligungsnachweis für %s (Nr. %d), Stand %s\n", sub.Email, sub.ID, when(time.Now()))
	if len(log) == 0 {
		fmt.Fprintf(w, "\nKeine Einträge.\n")
		return
	}
	for i, e := range log {
		fmt.Fprintf(w, "\n%d. %s – %s\n", i+1, when(e.At), word(consentWords, e.Action))
		t := newTable(w, "   Quelle", word(sourceWords, e.Source))
		for _, r := range [][2]string{
			{"   Version des Einwilligungstextes", e.WordingVersion}, {"   Notiz", consentNote(e)},
			{"   Message-ID", e.MessageID}, {"   IP-Adresse", e.IP}, {"   Browser", e.UserAgent},
		} {
			if r[1] != "" {
				t.rowFull(r[0], r[1])
			}
		}
		t.flush()
	}
}

func printSubscriber(w io.Writer, sub *subscribers.Subscriber, topics []subscribers.Topic, log []subscribers.ConsentEntry, mails []subscribers.Mail) {
	var ts []string
	for i, title := range subscribers.TopicTitles(topics, sub.Topics, i18n.German) {
		ts = append(ts, title+" ("+sub.Topics[i]+")")
	}
	lang := "Deutsch"
	if sub.Language == i18n.English {
		lang = "Englisch"
	}
	t := newTable(w, "Nr.", fmt.Sprint(sub.ID))
	for _, r := range [][2]string{
		{"E-Mail", sub.Email}, {"Anrede", word(salutationWords, sub.Salutation)}, {"Name", sub.Name},
		{"Organisation", sub.Organisation}, {"Telefon", sub.Phone}, {"Bemerkung", sub.Note},
		{"Art", templates.KindName(sub.Kind, i18n.German)}, {"Sprache", lang},
		{"Status", word(subscriberStatusWords, sub.Status)}, {"Themen", strings.Join(ts, ", ")},
		{"Aufgenommen", when(sub.CreatedAt)}, {"Bestätigt", whenPtr(sub.ConfirmedAt)},
		{"Abbestellt", whenPtr(sub.Unsubscribed)}, {"Unzustellbar seit", whenPtr(sub.BouncedAt)},
	} {
		t.rowFull(r[0], r[1])
	}
	t.flush()

	fmt.Fprintf(w, "\nEinwilligung (Nachweis):\n")
	lt := newTable(w, "  ZEIT", "VORGANG", "QUELLE", "NOTIZ / MESSAGE-ID")
	for _, e := range log {
		detail := consentNote(e)
		if e.MessageID != "" {
			detail = e.MessageID
		}
		lt.rowFull("  "+when(e.At), word(consentWords, e.Action), word(sourceWords, e.Source), detail)
	}
	lt.flush()

	fmt.Fprintf(w, "\nMails zum Abonnement:\n")
	mt := newTable(w, "  NR", "ART", "STATUS", "VERSUCHE", "ERLEDIGT", "ANTWORT DES SERVERS")
	for _, m := range mails {
		mt.rowFull("  "+fmt.Sprint(m.ID), word(subscriptionMailWords, m.Kind), word(mailStatusWords, m.Status), fmt.Sprint(m.Attempts), whenPtr(m.FinishedAt), shorten(m.Reply, 60))
	}
	mt.flush()
}

// printReceived lists the campaigns sent to a person and why they were in
// the audience.
func printReceived(w io.Writer, received []campaigns.Received, topics []subscribers.Topic) {
	fmt.Fprintf(w, "\nKampagnen (warum bekam die Person sie?):\n")
	if len(received) == 0 {
		fmt.Fprintf(w, "  keine\n")
		return
	}
	t := newTable(w, "  NR", "KAMPAGNE", "STATUS", "AM", "WEIL")
	for _, r := range received {
		why := "Art " + templates.KindName(r.MatchedKind, i18n.German)
		if len(r.AudienceKinds) == 0 {
			why = "alle Arten"
		}
		if len(r.MatchedTopics) > 0 {
			why += "; Thema " + strings.Join(subscribers.TopicTitles(topics, r.MatchedTopics, i18n.German), ", ")
		} else {
			why += "; alle Themen"
		}
		t.rowFull("  "+fmt.Sprint(r.CampaignID), shorten(campaignTitle(r.Kind, r.Subject, r.EventTitle), 50), word(mailStatusWords, r.Status), whenPtr(r.At), why)
	}
	t.flush()
}

// printBounces lists the reports of mail servers about mails to a
// person, when there are any.
func printBounces(w io.Writer, list []subscribers.BounceEntry) {
	if len(list) == 0 {
		return
	}
	fmt.Fprintf(w, "\nUnzustellbarkeitsmeldungen und Beschwerden:\n")
	t := newTable(w, "  EINGANG", "ART", "CODE", "MAIL")
	for _, b := range list {
		t.row("  "+when(b.ReceivedAt), bounceClassWords[b.Class], b.Status, mailWords(b.Mail()))
	}
	t.flush()
}

func newSubscribersDeleteCmd(a *app) *cobra.Command {
	var suppress, yes bool
	c := &cobra.Command{
		Use:   "delete E-MAIL",
		Short: "Eine Person mit allen ihren Daten löschen",
		Long: `Löscht die Person mit Themen, Einwilligungsnachweis und Mail-Protokoll.
Mit --suppress bleibt nur ein verschlüsselter Fingerabdruck der Adresse auf der
Sperrliste, damit ein späterer Import sie nicht wieder aufnimmt (etwa nach
einem Löschwunsch am Telefon); die Person kann den Rundbrief trotzdem selbst
wieder abonnieren. Die Anmeldungen der Person zu Veranstaltungen werden mit gelöscht.`,
		Example: `  rundbrief subscribers delete tippfehler@exmaple.org
  rundbrief subscribers delete anna@example.org --suppress --yes`,
		Args: exactArgs(1, "eine E-Mail-Adresse"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.deleteSubscriber(cmd.Context(), cmd.OutOrStdout(), cmd.InOrStdin(), deleteOptions{Email: args[0], Suppress: suppress, Yes: yes})
		},
	}
	c.Flags().BoolVar(&suppress, "suppress", false, "Adresse sperren, damit kein Import sie wieder aufnimmt")
	c.Flags().BoolVarP(&yes, "yes", "y", false, "nicht nachfragen")
	return c
}

// deleteOptions are what `subscribers delete` takes.
type deleteOptions struct {
	Email    string
	Suppress bool // keep a hash of the address so no import brings it back
	Yes      bool // do not ask
}

// deleteSubscriber erases the subscriber o names and all that is stored
// about them, after asking on in unless o.Yes.
func (a *app) deleteSubscriber(ctx context.Context, w io.Writer, in io.Reader, o deleteOptions) error {
	s, sub, err := a.subscriber(ctx, o.Email)
	if err != nil {
		return err
	}
	if !o.Yes {
		fmt.Fprintf(w, "%s (%s) und alle gespeicherten Daten endgültig löschen? [j/N] ", sub.Email, sub.Name)
		if !agreed(in) {
			fmt.Fprintf(w, "Nichts gelöscht.\n")
			return exitCodeError{exitError}
		}
	}
	evs, err := a.eventStore(ctx)
	if err != nil {
		return err
	}
	q, err := a.queueClient()
	if err != nil {
		return err
	}
	// Their places go to the waitlist before the rows go.
	outs, err := evs.Withdraw(ctx, sub.ID, time.Now())
	if err != nil {
		return err
	}
	for _, res := range outs {
		queueRegistrationMails(ctx, w, q, res)
	}
	if err := s.Delete(ctx, sub.ID, o.Suppress); err != nil {
		return err
	}
	fmt.Fprintf(w, "Gelöscht: %s\n", sub.Email)
	if o.Suppress {
		fmt.Fprintf(w, "Die Adresse steht auf der Sperrliste.\n")
	}
	return nil
}

// showOptions are what `subscribers show` takes.
type showOptions struct {
	Email   string
	JSON    bool // print as JSON
	Consent bool // the whole record of consent
}

// showSubscriber writes all about the subscriber o names: details, topics,
// consent, mails and the campaigns they got and why.
func (a *app) showSubscriber(ctx context.Context, w io.Writer, o showOptions) error {
	s, sub, err := a.subscriber(ctx, o.Email)
	if err != nil {
		return err
	}
	log, err := s.ConsentLog(ctx, sub.ID)
	if err != nil {
		return err
	}
	mails, err := s.Mails(ctx, sub.ID)
	if err != nil {
		return err
	}
	cs, err := a.campaignStore(ctx)
	if err != nil {
		return err
	}
	received, err := cs.Received(ctx, sub.ID)
	if err != nil {
		return err
	}
	bounced, err := s.Bounces(ctx, time.Time{}, sub.ID)
	if err != nil {
		return err
	}
	if o.JSON {
		if bounced == nil {
			bounced = []subscribers.BounceEntry{}
		}
		return writeJSON(w, subscriberDetails{sub, log, mails, received, bounced})
	}
	if o.Consent {
		printConsentProof(w, sub, log)
		return nil
	}
	topics, err := s.Topics(ctx)
	if err != nil {
		return err
	}
	printSubscriber(w, sub, topics, log, mails)
	printReceived(w, received, topics)
	printBounces(w, bounced)
	return nil
}

// listOptions are what `subscribers list` takes.
type listOptions struct {
	Kind, Status, Topic string // filters, "" for any
	Limit               int    // at most so many; 0 for all
	JSON                bool
}

// listSubscribers writes the subscribers that match o's filters.
func (a *app) listSubscribers(ctx context.Context, w io.Writer, o listOptions) error {
	f := subscribers.Filter{Limit: o.Limit}
	var err error
	if o.Kind != "" {
		if f.Kind, err = subscribers.ParseKind(o.Kind); err != nil {
			return usagef("--kind: %s", explainSubscriberError(err))
		}
	}
	if o.Status != "" {
		st, ok := parseWord(subscriberStatusWords, o.Status)
		if !ok {
			if st, err = subscribers.ParseStatus(o.Status); err != nil {
				return usagef("--status „%s“: möglich sind unbestätigt, bestätigt, abbestellt, unzustellbar, „nur Veranstaltung“", o.Status)
			}
		}
		f.Status = st
	}
	s, err := a.store(ctx)
	if err != nil {
		return err
	}
	if o.Topic != "" {
		topics, err := s.Topics(ctx)
		if err != nil {
			return err
		}
		var ok bool
		if f.Topic, ok = subscribers.ResolveTopic(topics, o.Topic); !ok {
			return usagef("--topic „%s“ gibt es nicht; alle Themen zeigt rundbrief topics list", o.Topic)
		}
	}
	list, err := s.List(ctx, f)
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(w, list)
	}
	total, err := s.Count(ctx, f)
	if err != nil {
		return err
	}
	t := newTable(w, "NR", "E-MAIL", "NAME", "ORGANISATION", "ART", "STATUS", "THEMEN", "AUFGENOMMEN")
	for _, sub := range list {
		t.row(fmt.Sprint(sub.ID), sub.Email, sub.Name, sub.Organisation, templates.KindName(sub.Kind, i18n.German),
			word(subscriberStatusWords, sub.Status), strings.Join(sub.Topics, ", "), when(sub.CreatedAt))
	}
	t.flush()
	if len(list) < total {
		fmt.Fprintf(w, "%d von %s (mehr mit --limit 0)\n", len(list), plural(total, "Person", "Personen"))
	} else {
		fmt.Fprintf(w, "%s\n", plural(total, "Person", "Personen"))
	}
	return nil
}

// addOptions are what `subscribers add` takes.
type addOptions struct {
	Subscriber subscribers.NewSubscriber // Kind and Language as written
	Confirmed  bool                      // consent is on record (Note): no opt-in mail
	Note       string
}

// addSubscriber adds the person o describes, as unconfirmed with an
// opt-in mail unless o.Confirmed.
func (a *app) addSubscriber(ctx context.Context, w io.Writer, o addOptions) error {
	if o.Subscriber.Kind == "" {
		return usagef("--kind fehlt: Unternehmen, Schule, Familie oder Sonstige")
	}
	if o.Confirmed && strings.TrimSpace(o.Note) == "" {
		return usagef("--confirmed braucht --consent-note: wann und wie hat die Person eingewilligt?")
	}
	s, err := a.store(ctx)
	if err != nil {
		return err
	}
	// Without an attested consent, the office asks the person for it.
	source := subscribers.SourceStaff
	if !o.Confirmed {
		source = subscribers.SourceRequest
	}
	sub, err := s.Add(ctx, o.Subscriber, subscribers.Consent{Source: source, Confirmed: o.Confirmed, Note: o.Note})
	if err != nil {
		return fmt.Errorf("%s: %w", o.Subscriber.Email, explain(err))
	}
	fmt.Fprintf(w, "Aufgenommen: %s (Nr. %d, %s, %s)\n", sub.Email, sub.ID, templates.KindName(sub.Kind, i18n.German), word(subscriberStatusWords, sub.Status))
	if sub.Status == subscribers.StatusPending {
		if err := a.enqueueQueuedMails(ctx, s, sub.ID); err != nil {
			return err
		}
		fmt.Fprintf(w, "Die Bestätigungsmail geht hinaus, sobald der Worker läuft (rundbrief worker).\n")
	}
	return nil
}

// enqueueQueuedMails hands the subscription mails queued for subscriber
// id to the worker; if Redis fails, the worker finds them in the mail log.
func (a *app) enqueueQueuedMails(ctx context.Context, s *subscribers.Store, id int64) error {
	mails, err := s.Mails(ctx, id)
	if err != nil {
		return err
	}
	var refs []subscribers.MailRef
	for _, m := range mails {
		if m.Status == maillog.Queued {
			refs = append(refs, m.Ref())
		}
	}
	a.enqueueMails(ctx, refs)
	return nil
}

// consentNote is the note of a consent log entry as staff read it: the
// fields a correction changed by their German names.
func consentNote(e subscribers.ConsentEntry) string {
	if e.Action != subscribers.ActionDetailsChanged {
		return e.Note
	}
	fields := strings.Split(e.Note, ", ")
	for i, f := range fields {
		fields[i] = word(fieldWords, subscribers.Field(f))
	}
	return strings.Join(fields, ", ")
}
