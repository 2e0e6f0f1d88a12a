package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

func newSubscribersUpdateCmd(a *app) *cobra.Command {
	var o updateSubscriberOptions
	c := &cobra.Command{
		Use:   "update E-MAIL [--name …] [--organisation …] [--kind …] [--topics …] [--language …] [--phone …] [--email NEU]",
		Short: "Angaben einer Person berichtigen",
		Long: `Berichtigt die Angaben einer Person; was nicht angegeben ist, bleibt. --topics ersetzt die
Themen (leer: keine). Das Einwilligungsprotokoll hält fest, dass die Netzwerkstelle etwas
geändert hat und was (die Felder, nicht die Werte).

Eine neue Adresse (--email) muss die Person erst bestätigen: Sie bekommt dorthin eine
Bestätigungsmail und erhält bis dahin keinen Rundbrief. Nur wenn feststeht, dass die neue
Adresse derselben Person gehört (etwa weil sie selbst angerufen hat), übernimmt
--confirmed sie sofort; --consent-note hält dann fest, woher das bekannt ist.`,
		Example: `  rundbrief subscribers update s.koehler@kyffhaeuser-logistik.example --name "Sabine Köhler-Lang"
  rundbrief subscribers update personal@metallbau.example --email ausbildung@metallbau.example \
      --confirmed --consent-note "Herr Müller am Telefon, 02.12.2026"`,
		Args: exactArgs(1, "eine E-Mail-Adresse"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Email, o.Set = args[0], cmd.Flags().Changed
			return a.updateSubscriber(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.NewEmail, "email", "", "die neue E-Mail-Adresse")
	f.StringVar(&o.Name, "name", "", "Name der Ansprechperson")
	f.StringVar(&o.Organisation, "organisation", "", "Unternehmen, Schule oder Einrichtung")
	f.StringVar(&o.Phone, "phone", "", "Telefonnummer")
	f.StringVar(&o.Salutation, "salutation", "", "Anrede: Frau, Herr oder leer")
	f.StringVar(&o.NoteText, "note", "", "Bemerkung der Netzwerkstelle")
	f.StringVar(&o.Kind, "kind", "", "Art: Unternehmen, Schule, Familie oder Sonstige")
	f.StringSliceVar(&o.Topics, "topics", nil, "Themen, durch Komma getrennt (Kürzel oder Titel); ersetzt die bisherigen")
	f.StringVar(&o.Language, "language", "", "Sprache der Mails: de oder en")
	f.BoolVar(&o.Confirmed, "confirmed", false, "die neue Adresse ohne Bestätigungsmail übernehmen (gehört nachweislich derselben Person)")
	f.StringVar(&o.Note, "consent-note", "", "woher bekannt ist, dass die neue Adresse derselben Person gehört (mit --confirmed)")
	return c
}

// updateSubscriberOptions are what `subscribers update` takes.
type updateSubscriberOptions struct {
	Email                                     string // the person, by their address now
	NewEmail, Name, Organisation, Phone, Kind string
	Language                                  string
	Topics                                    []string
	Salutation, NoteText                      string // the Anrede; the office's own note
	Confirmed                                 bool   // the new address is attested
	Note                                      string // how staff know
	Set                                       func(flag string) bool
}

// updateSubscriber applies the flags o was given to the person it names.
func (a *app) updateSubscriber(ctx context.Context, w io.Writer, o updateSubscriberOptions) error {
	if o.Confirmed && !o.Set("email") {
		return usagef("--confirmed gilt für eine neue Adresse (--email)")
	}
	if o.Confirmed && strings.TrimSpace(o.Note) == "" {
		return usagef("--confirmed braucht --consent-note: woher ist bekannt, dass die neue Adresse derselben Person gehört?")
	}
	s, sub, err := a.subscriber(ctx, o.Email)
	if err != nil {
		return err
	}
	var ch subscribers.Change
	text := func(flag, v string) *string {
		if !o.Set(flag) {
			return nil
		}
		return &v
	}
	ch.Email, ch.Name, ch.Organisation, ch.Phone = text("email", o.NewEmail), text("name", o.Name), text("organisation", o.Organisation), text("phone", o.Phone)
	ch.Note = text("note", o.NoteText)
	if o.Set("salutation") {
		sal, ok := parseWord(salutationWords, o.Salutation)
		if !ok && strings.TrimSpace(o.Salutation) != "" {
			return usagef("--salutation „%s“: möglich sind Frau, Herr oder leer", o.Salutation)
		}
		ch.Salutation = &sal
	}
	if o.Set("kind") {
		k := subscribers.Kind(o.Kind)
		ch.Kind = &k
	}
	if o.Set("language") {
		l := i18n.Lang(o.Language)
		ch.Language = &l
	}
	if o.Set("topics") {
		ch.Topics = &o.Topics
	}
	if ch == (subscribers.Change{}) {
		return usagef("nichts zu ändern: --name, --organisation, --salutation, --kind, --topics, --language, --phone, --note oder --email angeben")
	}
	a.started = true
	res, err := s.Update(ctx, sub.ID, ch, subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: o.Confirmed, Note: o.Note})
	if err != nil {
		return fmt.Errorf("%s: %w", o.Email, explain(err))
	}
	if len(res.Fields) == 0 {
		fmt.Fprintf(w, "%s: nichts geändert; die Angaben waren schon so.\n", sub.Email)
		return nil
	}
	names := make([]string, len(res.Fields))
	for i, f := range res.Fields {
		names[i] = word(fieldWords, f)
	}
	fmt.Fprintf(w, "Berichtigt: %s (Nr. %d): %s.\n", res.Subscriber.Email, res.Subscriber.ID, strings.Join(names, ", "))
	if res.Reconfirm {
		if err := a.enqueueQueuedMails(ctx, s, sub.ID); err != nil {
			return err
		}
		fmt.Fprintf(w, "Die neue Adresse muss die Person bestätigen; bis dahin erhält sie keinen Rundbrief. Die Bestätigungsmail geht hinaus, sobald der Worker läuft.\n")
	}
	return nil
}

// fieldWords name a subscriber's fields as staff read them.
var fieldWords = map[subscribers.Field]string{
	subscribers.FieldEmail:        "E-Mail-Adresse",
	subscribers.FieldName:         "Name",
	subscribers.FieldFirstName:    "Vorname",
	subscribers.FieldLastName:     "Nachname",
	subscribers.FieldOrganisation: "Organisation",
	subscribers.FieldKind:         "Art",
	subscribers.FieldTopics:       "Themen",
	subscribers.FieldLanguage:     "Sprache",
	subscribers.FieldPhone:        "Telefon",
	subscribers.FieldSalutation:   "Anrede",
	subscribers.FieldNote:         "Bemerkung",
}

// salutationWords are the Anrede as staff write it.
var salutationWords = map[subscribers.Salutation]string{
	subscribers.SalutationMs: "Frau",
	subscribers.SalutationMr: "Herr",
}
