package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/i18n"
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
		newSubscribersDeleteCmd(a),
	)
}

// explain says what is wrong with a refused subscriber, in German; other
// errors pass through.
func explain(err error) error {
	if msg := subscribers.Explain(err, i18n.German); msg != "" {
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
			if kind == "" {
				return usagef("--kind fehlt: Unternehmen, Schule, Familie oder Sonstige")
			}
			if confirmed && strings.TrimSpace(note) == "" {
				return usagef("--confirmed braucht --consent-note: wann und wie hat die Person eingewilligt?")
			}
			n.Email, n.Kind, n.Language = args[0], subscribers.Kind(kind), i18n.Lang(language)
			s, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			sub, err := s.Add(cmd.Context(), n, subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: confirmed, Note: note})
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], explain(err))
			}
			out(cmd, "Aufgenommen: %s (Nr. %d, %s, %s)\n", sub.Email, sub.ID, templates.KindName(sub.Kind, i18n.German), word(subscriberStatusWords, sub.Status))
			if sub.Status == subscribers.StatusPending {
				mails, err := s.Mails(cmd.Context(), sub.ID)
				if err != nil {
					return err
				}
				var refs []subscribers.MailRef
				for _, m := range mails {
					refs = append(refs, m.Ref())
				}
				a.enqueueMails(cmd.Context(), refs)
				out(cmd, "Die Bestätigungsmail geht hinaus, sobald der Worker läuft (rundbrief worker).\n")
			}
			return nil
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := subscribers.Filter{Topic: topic, Limit: limit}
			var err error
			if kind != "" {
				if f.Kind, err = subscribers.ParseKind(kind); err != nil {
					return usagef("--kind: %s", subscribers.Explain(err, i18n.German))
				}
			}
			if status != "" {
				if f.Status, err = subscribers.ParseStatus(status); err != nil {
					return usagef("--status %q: möglich sind unbestätigt, bestätigt, abgemeldet, unzustellbar", status)
				}
			}
			s, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			list, err := s.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), list)
			}
			total, err := s.Count(cmd.Context(), f)
			if err != nil {
				return err
			}
			t := newTable(cmd.OutOrStdout(), "NR", "E-MAIL", "NAME", "ORGANISATION", "ART", "STATUS", "THEMEN", "AUFGENOMMEN")
			for _, sub := range list {
				t.row(fmt.Sprint(sub.ID), sub.Email, sub.Name, sub.Organisation, templates.KindName(sub.Kind, i18n.German),
					word(subscriberStatusWords, sub.Status), strings.Join(sub.Topics, ", "), when(sub.CreatedAt))
			}
			t.flush()
			if len(list) < total {
				out(cmd, "%d von %d Personen (mehr mit --limit 0)\n", len(list), total)
			} else {
				out(cmd, "%d Personen\n", total)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&kind, "kind", "", "nur diese Art (Unternehmen, Schule, Familie, Sonstige)")
	f.StringVar(&topic, "topic", "", "nur mit diesem Thema (Kürzel)")
	f.StringVar(&status, "status", "", "nur mit diesem Status (unbestätigt, bestätigt, abgemeldet, unzustellbar)")
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
}

func newSubscribersShowCmd(a *app) *cobra.Command {
	var asJSON, consent bool
	c := &cobra.Command{
		Use:   "show E-MAIL",
		Short: "Alles zu einer Person zeigen: Angaben, Themen, Einwilligung, Mails",
		Long: `Zeigt Angaben, Themen, eine Übersicht der Einwilligung, die Mails zur Anmeldung und
die Kampagnen, die an die Person gingen – mit der Art und den Themen, wegen derer sie
zur Zielgruppe gehörte („Warum bekomme ich das?“).
Mit --consent erscheint der vollständige Einwilligungsnachweis (DSGVO Art. 7 Abs. 1):
jeder Vorgang mit Zeit, Quelle, Version des Einwilligungstextes, Message-ID der
Bestätigungsmail und – nur wenn RUNDBRIEF_RECORD_IP=true – IP-Adresse und Browser.`,
		Example: `  rundbrief subscribers show personal@metallbau.example
  rundbrief subscribers show personal@metallbau.example --consent`,
		Args: exactArgs(1, "eine E-Mail-Adresse"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, sub, err := a.subscriber(ctx, args[0])
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
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), subscriberDetails{sub, log, mails, received})
			}
			if consent {
				printConsentProof(cmd, sub, log)
				return nil
			}
			topics, err := s.Topics(ctx)
			if err != nil {
				return err
			}
			printSubscriber(cmd, sub, topics, log, mails)
			printReceived(cmd, received, topics)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "als JSON ausgeben")
	c.Flags().BoolVar(&consent, "consent", false, "den vollständigen Einwilligungsnachweis zeigen")
	return c
}

// printConsentProof prints every consent log entry with all it records.
func printConsentProof(cmd *cobra.Command, sub *subscribers.Subscriber, log []subscribers.ConsentEntry) {
	out(cmd, "Einwilligungsnachweis für %s (Nr. %d), Stand %s\n", sub.Email, sub.ID, when(time.Now()))
	if len(log) == 0 {
		out(cmd, "\nKeine Einträge.\n")
		return
	}
	for i, e := range log {
		out(cmd, "\n%d. %s – %s\n", i+1, when(e.At), word(consentWords, e.Action))
		t := newTable(cmd.OutOrStdout(), "   Quelle", word(sourceWords, e.Source))
		for _, r := range [][2]string{
			{"   Version des Einwilligungstextes", e.WordingVersion}, {"   Notiz", e.Note},
			{"   Message-ID", e.MessageID}, {"   IP-Adresse", e.IP}, {"   Browser", e.UserAgent},
		} {
			if r[1] != "" {
				t.rowFull(r[0], r[1])
			}
		}
		t.flush()
	}
}

func printSubscriber(cmd *cobra.Command, sub *subscribers.Subscriber, topics []subscribers.Topic, log []subscribers.ConsentEntry, mails []subscribers.Mail) {
	var ts []string
	for i, title := range subscribers.TopicTitles(topics, sub.Topics, i18n.German) {
		ts = append(ts, title+" ("+sub.Topics[i]+")")
	}
	lang := "Deutsch"
	if sub.Language == i18n.English {
		lang = "Englisch"
	}
	t := newTable(cmd.OutOrStdout(), "Nr.", fmt.Sprint(sub.ID))
	for _, r := range [][2]string{
		{"E-Mail", sub.Email}, {"Name", sub.Name}, {"Organisation", sub.Organisation},
		{"Art", templates.KindName(sub.Kind, i18n.German)}, {"Sprache", lang},
		{"Status", word(subscriberStatusWords, sub.Status)}, {"Themen", strings.Join(ts, ", ")},
		{"Aufgenommen", when(sub.CreatedAt)}, {"Bestätigt", whenPtr(sub.ConfirmedAt)},
		{"Abgemeldet", whenPtr(sub.Unsubscribed)}, {"Unzustellbar seit", whenPtr(sub.BouncedAt)},
	} {
		t.rowFull(r[0], r[1])
	}
	t.flush()

	out(cmd, "\nEinwilligung (Nachweis):\n")
	lt := newTable(cmd.OutOrStdout(), "  ZEIT", "VORGANG", "QUELLE", "NOTIZ / MESSAGE-ID")
	for _, e := range log {
		detail := e.Note
		if e.MessageID != "" {
			detail = e.MessageID
		}
		lt.rowFull("  "+when(e.At), word(consentWords, e.Action), word(sourceWords, e.Source), detail)
	}
	lt.flush()

	out(cmd, "\nMails zur Anmeldung:\n")
	mt := newTable(cmd.OutOrStdout(), "  NR", "ART", "STATUS", "VERSUCHE", "ERLEDIGT", "ANTWORT DES SERVERS")
	for _, m := range mails {
		mt.rowFull("  "+fmt.Sprint(m.ID), word(subscriptionMailWords, m.Kind), word(mailStatusWords, m.Status), fmt.Sprint(m.Attempts), whenPtr(m.FinishedAt), shorten(m.Reply, 60))
	}
	mt.flush()
}

// printReceived lists the campaigns sent to a person and why they were in
// the audience.
func printReceived(cmd *cobra.Command, received []campaigns.Received, topics []subscribers.Topic) {
	out(cmd, "\nKampagnen (warum bekam die Person sie?):\n")
	if len(received) == 0 {
		out(cmd, "  keine\n")
		return
	}
	t := newTable(cmd.OutOrStdout(), "  NR", "KAMPAGNE", "STATUS", "AM", "WEIL")
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

func newSubscribersDeleteCmd(a *app) *cobra.Command {
	var suppress, yes bool
	c := &cobra.Command{
		Use:   "delete E-MAIL",
		Short: "Eine Person mit allen ihren Daten löschen",
		Long: `Löscht die Person mit Themen, Einwilligungsnachweis und Mail-Protokoll.
Mit --suppress bleibt nur ein verschlüsselter Fingerabdruck der Adresse auf der
Sperrliste, damit ein späterer Import sie nicht wieder aufnimmt (etwa nach
einem Löschwunsch am Telefon); eine eigene neue Anmeldung der Person bleibt
möglich.`,
		Example: `  rundbrief subscribers delete tippfehler@exmaple.org
  rundbrief subscribers delete anna@example.org --suppress --yes`,
		Args: exactArgs(1, "eine E-Mail-Adresse"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, sub, err := a.subscriber(ctx, args[0])
			if err != nil {
				return err
			}
			if !yes {
				out(cmd, "%s (%s) und alle gespeicherten Daten endgültig löschen? [j/N] ", sub.Email, sub.Name)
				if !agreed(cmd.InOrStdin()) {
					out(cmd, "Nichts gelöscht.\n")
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
				queueRegistrationMails(cmd, q, res)
			}
			if err := s.Delete(ctx, sub.ID, suppress); err != nil {
				return err
			}
			out(cmd, "Gelöscht: %s\n", sub.Email)
			if suppress {
				out(cmd, "Die Adresse steht auf der Sperrliste.\n")
			}
			return nil
		},
	}
	c.Flags().BoolVar(&suppress, "suppress", false, "Adresse sperren, damit kein Import sie wieder aufnimmt")
	c.Flags().BoolVarP(&yes, "yes", "y", false, "nicht nachfragen")
	return c
}
