package main

import (
	"context"
	"errors"
	"fmt"
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.campaignStore(ctx)
			if err != nil {
				return err
			}
			cs, err := s.List(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), cs)
			}
			if len(cs) == 0 {
				out(cmd, "Noch keine Kampagnen. Anlegen mit: rundbrief campaigns create invitation --event KÜRZEL\n")
				return nil
			}
			t := newTable(cmd.OutOrStdout(), "NR", "ART", "TITEL", "STATUS", "ANGELEGT", "BEGONNEN", "FERTIG")
			for _, c := range cs {
				t.row(fmt.Sprint(c.ID), word(campaignKindWords, c.Kind), titleOf(c), word(campaignStatusWords, c.Status), when(c.CreatedAt), whenPtr(firstOf(c.StartedAt, c.SendAt)), whenPtr(c.FinishedAt))
			}
			t.flush()
			return nil
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
			ctx := cmd.Context()
			s, camp, p, err := a.campaignProgress(ctx, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), campaignDetails{camp, p})
			}
			t := newTable(cmd.OutOrStdout(), "Nr.", fmt.Sprint(camp.ID))
			rows := [][2]string{{"Art", word(campaignKindWords, camp.Kind)}, {"Titel", titleOf(camp)}}
			if camp.Kind.AboutEvent() {
				rows = append(rows, [2]string{"Veranstaltung", camp.EventSlug})
			}
			if camp.SubjectEN != "" {
				rows = append(rows, [2]string{"Betreff (englisch)", camp.SubjectEN})
			}
			rows = append(rows, [][2]string{
				{"Zielgruppe", audienceLabel(camp.Audience)}, {"Status", word(campaignStatusWords, camp.Status)},
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
				out(cmd, "\nDerzeit %s.\n", recipients(n))
				return nil
			}
			out(cmd, "\n%s\n", progressLine(p))
			return nil
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
			ctx := cmd.Context()
			camp, msg, err := a.campaignMail(ctx, args[0], to, lang)
			if err != nil {
				return err
			}
			if dir == "" {
				dir = fmt.Sprintf("vorschau-kampagne-%d", camp.ID)
			}
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return err
			}
			a.started = true
			base := filepath.Join(dir, fmt.Sprintf("kampagne-%d", camp.ID))
			var eml strings.Builder
			if _, err := msg.WriteTo(&eml); err != nil {
				return err
			}
			for _, f := range []struct{ ext, content string }{{".eml", eml.String()}, {".html", msg.HTML}, {".txt", msg.Text}} {
				if err := os.WriteFile(base+f.ext, []byte(f.content), 0o640); err != nil {
					return err
				}
				out(cmd, "%s\n", base+f.ext)
			}
			out(cmd, "Betreff: %s\nAn: %s\n", msg.Subject, msg.To.Address)
			return nil
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
			if to == "" {
				return errors.New("--to ADRESSE fehlt: wohin soll die Testmail?")
			}
			if _, err := subscribers.NormalizeEmail(to); err != nil {
				return explain(err)
			}
			ctx := cmd.Context()
			_, msg, err := a.campaignMail(ctx, args[0], to, lang)
			if err != nil {
				return err
			}
			msg.To.Address = to
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
			out(cmd, "Testmail an %s geschickt (%s): %s\n", to, where, rec.Reply)
			return nil
		},
	}
	c.Flags().StringVar(&to, "to", "", "Adresse für die Testmail")
	c.Flags().StringVar(&lang, "lang", "", "Sprache erzwingen: de oder en")
	return c
}
