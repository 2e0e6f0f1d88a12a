package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

func newCampaignsListCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "list",
		Short:   "Alle Kampagnen zeigen, die neuesten zuerst",
		Example: `  rundbrief campaigns list`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.listCampaigns(cmd.Context(), cmd.OutOrStdout(), listCampaignsOptions{JSON: asJSON})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "als JSON ausgeben")
	return c
}

func firstOf(ts ...*time.Time) *time.Time {
	for _, t := range ts {
		if t != nil {
			return t
		}
	}
	return nil
}

// campaignDetails is what show --json prints.
type campaignDetails struct {
	*campaigns.Campaign
	Progress campaigns.Progress `json:"progress"`
}

func newCampaignsShowCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "show NR",
		Short:   "Eine Kampagne zeigen: Inhalt, Zielgruppe, Stand des Versands",
		Example: `  rundbrief campaigns show 3`,
		Args:    exactArgs(1, "die Nummer der Kampagne"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.showCampaign(cmd.Context(), cmd.OutOrStdout(), showCampaignOptions{Campaign: args[0], JSON: asJSON})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "als JSON ausgeben")
	return c
}

// progressLine sums up a campaign's deliveries in German.
func progressLine(p campaigns.Progress) string {
	parts := []string{fmt.Sprintf("%d versandt", p.Sent)}
	for _, x := range []struct {
		n     int
		label string
	}{{p.Failed, "fehlgeschlagen"}, {p.Bounced, "unzustellbar"}, {p.Skipped, "übersprungen"}, {p.Cancelled, "abgebrochen"}, {p.Remaining(), "offen"}} {
		parts = append(parts, fmt.Sprintf("%d %s", x.n, x.label))
	}
	return fmt.Sprintf("%s von %d", strings.Join(parts, " · "), p.Total)
}

// sampleContact is who preview and test fill a mail in for: the subscriber
// with address email if there is one, else the first recipient of c, else
// a made-up person.
func sampleContact(ctx context.Context, subs *subscribers.Store, s *campaigns.Store, c *campaigns.Campaign, email string) (*subscribers.Contact, error) {
	if email != "" {
		sub, err := subs.GetByEmail(ctx, email)
		if errors.Is(err, subscribers.ErrNotFound) {
			// Not on the list: the links in the mail will not work.
			return &subscribers.Contact{Email: email, Name: "", Language: i18n.German, Status: subscribers.StatusConfirmed}, nil
		}
		if err != nil {
			return nil, err
		}
		return &subscribers.Contact{ID: sub.ID, Email: sub.Email, Name: sub.Name, Language: sub.Language, Status: sub.Status}, nil
	}
	var first int64
	errStop := errors.New("stop")
	err := s.EachRecipient(ctx, c, func(m subscribers.Match) error { first = m.SubscriberID; return errStop })
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	if first != 0 {
		cs, err := subs.Contacts(ctx, []int64{first})
		if err != nil {
			return nil, err
		}
		if ct := cs[first]; ct != nil {
			return ct, nil
		}
	}
	return &subscribers.Contact{Email: "erika.mustermann@example.org", Name: "Erika Mustermann", Language: i18n.German, Status: subscribers.StatusConfirmed}, nil
}

func newCampaignsPreviewCmd(a *app) *cobra.Command {
	var dir, to, lang string
	c := &cobra.Command{
		Use:   "preview NR",
		Short: "Die Mail einer Person als .eml, .html und .txt ablegen",
		Long: `Legt die Mail so ab, wie eine Empfängerin oder ein Empfänger sie bekäme: als .eml
(mit Anhang, zum Öffnen in Outlook oder Thunderbird), als .html (für den Browser) und
als .txt (den Textteil). Ohne --to ist es die Mail der ersten Person der Zielgruppe.
Es wird nichts verschickt.`,
		Example: `  rundbrief campaigns preview 3
  rundbrief campaigns preview 3 --to personal@metallbau.example --dir /tmp/vorschau`,
		Args: exactArgs(1, "die Nummer der Kampagne"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.previewCampaign(cmd.Context(), cmd.OutOrStdout(), campaignMailOptions{Campaign: args[0], To: to, Lang: lang, Dir: dir})
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "Ordner für die Dateien (Standard: vorschau-kampagne-NR)")
	c.Flags().StringVar(&to, "to", "", "die Mail dieser Person aus der Liste zeigen")
	c.Flags().StringVar(&lang, "lang", "", "Sprache erzwingen: de oder en")
	return c
}

// campaignMail loads the campaign arg names and returns it with its mail
// for the subscriber with address to (or the first recipient), in lang if
// given.
func (a *app) campaignMail(ctx context.Context, arg, to, lang string) (*campaigns.Campaign, *mailer.Message, error) {
	s, camp, err := a.campaign(ctx, arg)
	if err != nil {
		return nil, nil, err
	}
	subs, err := a.store(ctx)
	if err != nil {
		return nil, nil, err
	}
	contact, err := sampleContact(ctx, subs, s, camp, to)
	if err != nil {
		return nil, nil, err
	}
	if lang != "" {
		l, err := i18n.Parse(lang)
		if err != nil {
			return nil, nil, explain(err)
		}
		contact.Language = l
	}
	comp, err := a.composer()
	if err != nil {
		return nil, nil, err
	}
	facts, err := s.Facts(ctx, camp)
	if err != nil {
		return nil, nil, campaignError(err)
	}
	now := time.Now()
	p, err := comp.Prepare(camp, facts, now)
	if err != nil {
		return nil, nil, campaignError(err)
	}
	return camp, p.Message(contact, now), nil
}

func newCampaignsTestCmd(a *app) *cobra.Command {
	var to, lang string
	c := &cobra.Command{
		Use:   "test NR --to ADRESSE",
		Short: "Eine Testmail an eine Adresse schicken (Betreff mit [TEST])",
		Long: `Schickt die Mail der Kampagne einmal an --to, sofort und ohne Worker, über den
Mailserver aus RUNDBRIEF_SMTP_URL (oder in den Ausgangsordner). Der Betreff beginnt
mit [TEST]. Steht die Adresse nicht in der Liste, führen die persönlichen Links der
Testmail ins Leere. Die Testmail zählt nicht als Versand der Kampagne.`,
		Example: `  rundbrief campaigns test 3 --to knf@lra-nordhausen.example`,
		Args:    exactArgs(1, "die Nummer der Kampagne"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.testCampaign(cmd.Context(), cmd.OutOrStdout(), campaignMailOptions{Campaign: args[0], To: to, Lang: lang})
		},
	}
	c.Flags().StringVar(&to, "to", "", "Adresse für die Testmail")
	c.Flags().StringVar(&lang, "lang", "", "Sprache erzwingen: de oder en")
	return c
}

// campaignMailOptions are what `campaigns test` and `campaigns preview`
// take.
type campaignMailOptions struct {
	Campaign string // its number
	To       string // the address: test sends there; preview shows that subscriber's mail
	Lang     string // force de or en
	Dir      string // preview: the folder for the files
}

// testCampaign sends the campaign's mail once to o.To, at once and
// without a worker, with [TEST] before its subject.
func (a *app) testCampaign(ctx context.Context, w io.Writer, o campaignMailOptions) error {
	if o.To == "" {
		return errors.New("--to ADRESSE fehlt: wohin soll die Testmail?")
	}
	if _, err := subscribers.NormalizeEmail(o.To); err != nil {
		return explain(err)
	}
	_, msg, err := a.campaignMail(ctx, o.Campaign, o.To, o.Lang)
	if err != nil {
		return err
	}
	msg.To.Address = o.To
	msg.Subject = "[TEST] " + msg.Subject
	sender, where, err := a.sender()
	if err != nil {
		return err
	}
	a.started = true
	rec, err := sender.Send(ctx, msg)
	if err != nil {
		return fmt.Errorf("die Testmail ging nicht hinaus: %w", err)
	}
	fmt.Fprintf(w, "Testmail an %s geschickt (%s): %s\n", o.To, where, rec.Reply)
	return nil
}

// previewCampaign writes the mail of the subscriber o.To (or of the first
// recipient) as .eml, .html and .txt into o.Dir.
func (a *app) previewCampaign(ctx context.Context, w io.Writer, o campaignMailOptions) error {
	camp, msg, err := a.campaignMail(ctx, o.Campaign, o.To, o.Lang)
	if err != nil {
		return err
	}
	dir := o.Dir
	if dir == "" {
		dir = fmt.Sprintf("vorschau-kampagne-%d", camp.ID)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("der Ordner %s lässt sich nicht anlegen; bitte Pfad und Rechte prüfen", dir)
	}
	a.started = true
	return writeMailFiles(w, msg, filepath.Join(dir, fmt.Sprintf("kampagne-%d", camp.ID)))
}

// writeMailFiles writes msg as base.eml (whole, with its parts), base.html
// and base.txt and names the files.
func writeMailFiles(w io.Writer, msg *mailer.Message, base string) error {
	var eml strings.Builder
	if _, err := msg.WriteTo(&eml); err != nil {
		return err
	}
	for _, f := range []struct{ ext, content string }{{".eml", eml.String()}, {".html", msg.HTML}, {".txt", msg.Text}} {
		if err := os.WriteFile(base+f.ext, []byte(f.content), 0o640); err != nil {
			return fileError(base+f.ext, err)
		}
		fmt.Fprintf(w, "%s\n", base+f.ext)
	}
	fmt.Fprintf(w, "Betreff: %s\nAn: %s\n", msg.Subject, msg.To.Address)
	return nil
}

// showCampaignOptions are what `campaigns show` takes.
type showCampaignOptions struct {
	Campaign string // its number
	JSON     bool
}

// showCampaign writes the campaign o names: its words, audience and
// progress.
func (a *app) showCampaign(ctx context.Context, w io.Writer, o showCampaignOptions) error {
	s, camp, p, err := a.campaignProgress(ctx, o.Campaign)
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(w, campaignDetails{camp, p})
	}
	t := newTable(w, "Nr.", fmt.Sprint(camp.ID))
	rows := [][2]string{{"Art", word(campaignKindWords, camp.Kind)}, {"Titel", titleOf(camp)}}
	if camp.Kind.AboutEvent() {
		rows = append(rows, [2]string{"Veranstaltung", camp.EventSlug})
	}
	if camp.Kind.AboutEvent() && camp.Subject != "" {
		rows = append(rows, [2]string{"Eigener Betreff", camp.Subject})
	}
	if camp.SubjectEN != "" {
		rows = append(rows, [2]string{"Betreff (englisch)", camp.SubjectEN})
	}
	if camp.Intro != "" {
		rows = append(rows, [2]string{"Eigener Absatz", camp.Intro})
	}
	if len(camp.Attachments) > 0 {
		rows = append(rows, [2]string{"Anhänge", strings.Join(camp.Attachments, ", ")})
	}
	if camp.Archive {
		rows = append(rows, [2]string{"Archiv", "nach dem Versand öffentlich unter /rundbrief"})
	}
	rows = append(rows, [][2]string{
		{"Zielgruppe", campaignAudienceLabel(camp)}, {"Anrede", word(greetingWords, camp.Greeting)}, {"Status", word(campaignStatusWords, camp.Status)},
		{"Angelegt", when(camp.CreatedAt)}, {"Geplant für", whenPtr(camp.SendAt)},
		{"Begonnen", whenPtr(camp.StartedAt)}, {"Fertig", whenPtr(camp.FinishedAt)},
	}...)
	for _, r := range rows {
		if r[1] != "" {
			t.rowFull(r[0], r[1])
		}
	}
	t.flush()
	if camp.Status == campaigns.StatusDraft || camp.Status == campaigns.StatusScheduled {
		n, err := countRecipients(ctx, s, camp)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\nDerzeit %s.\n", recipients(n))
		return nil
	}
	fmt.Fprintf(w, "\n%s\n", progressLine(p))
	return nil
}

// listCampaignsOptions are what `campaigns list` takes.
type listCampaignsOptions struct {
	JSON bool
}

// listCampaigns writes every campaign, the newest first.
func (a *app) listCampaigns(ctx context.Context, w io.Writer, o listCampaignsOptions) error {
	s, err := a.campaignStore(ctx)
	if err != nil {
		return err
	}
	cs, err := s.List(ctx)
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(w, cs)
	}
	if len(cs) == 0 {
		fmt.Fprintf(w, "Noch keine Kampagnen. Anlegen mit: rundbrief campaigns create invitation --event KÜRZEL\n")
		return nil
	}
	t := newTable(w, "NR", "ART", "TITEL", "STATUS", "ANGELEGT", "BEGONNEN", "FERTIG")
	for _, c := range cs {
		t.row(fmt.Sprint(c.ID), word(campaignKindWords, c.Kind), titleOf(c), word(campaignStatusWords, c.Status), when(c.CreatedAt), whenPtr(firstOf(c.StartedAt, c.SendAt)), whenPtr(c.FinishedAt))
	}
	t.flush()
	return nil
}
