package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

func newCampaignsSendCmd(a *app) *cobra.Command {
	var (
		at          string
		yes, dryRun bool
	)
	c := &cobra.Command{
		Use:   "send NR",
		Short: "Eine Kampagne verschicken, jetzt oder zu einer Zeit",
		Long: `Zeigt, an wie viele Empfängerinnen und Empfänger die Kampagne geht, und fragt nach;
--yes lässt die Frage weg. Dann schreibt rundbrief für jede Person einen Eintrag ins
Versandprotokoll und übergibt die Arbeit dem Worker. Jede Person bekommt die Kampagne
höchstens einmal, auch wenn ein Worker abstürzt oder neu startet.

Mit --at "2026-12-01 09:00" (deutsche Zeit) beginnt der Versand erst dann; die
Zielgruppe wird zu diesem Zeitpunkt bestimmt. Eine geplante Kampagne bekommt mit --at
eine neue Zeit, ohne --at geht sie sofort hinaus. --dry-run zeigt die Zahl der
Empfangenden und zehn Beispiele und verschickt nichts.`,
		Example: `  rundbrief campaigns send 3 --dry-run
  rundbrief campaigns send 3
  rundbrief campaigns send 3 --at "2026-12-01 09:00" --yes`,
		Args: exactArgs(1, "die Nummer der Kampagne"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.sendCampaign(cmd.Context(), cmd.OutOrStdout(), cmd.InOrStdin(), sendOptions{Campaign: args[0], At: at, Yes: yes, DryRun: dryRun})
		},
	}
	c.Flags().StringVar(&at, "at", "", `Versandzeit in deutscher Zeit, z. B. "2026-12-01 09:00"`)
	c.Flags().BoolVarP(&yes, "yes", "y", false, "nicht nachfragen")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "nur die Empfangenden zählen und zehn zeigen; nichts verschicken")
	return c
}

// sendOptions are what `campaigns send` takes.
type sendOptions struct {
	Campaign string // its number
	At       string // when to start, in Europe/Berlin; "" for now
	Yes      bool   // do not ask
	DryRun   bool   // count the recipients and show ten; send nothing
}

// sendCampaign starts the campaign o names, now or at o.At, after asking
// on in unless o.Yes; it writes what it did to w.
func (a *app) sendCampaign(ctx context.Context, w io.Writer, in io.Reader, o sendOptions) error {
	var sendAt time.Time
	if o.At != "" {
		t, err := events.ParseTime(o.At)
		if fe, ok := errors.AsType[events.FieldError](err); ok {
			fe.Field = "--at"
			return errors.New(fieldLine(fe))
		}
		if !t.After(time.Now()) {
			return fmt.Errorf("--at %s liegt nicht in der Zukunft; ohne --at geht die Kampagne sofort hinaus", o.At)
		}
		if events.Repeated(t) {
			noteRepeated(w, "Versandzeit", t)
		}
		sendAt = t
	}
	s, camp, err := a.campaign(ctx, o.Campaign)
	if err != nil {
		return err
	}
	// A draft goes now or at a time; a scheduled campaign may get another
	// time, or go now instead of at its time, so that it is never stuck.
	if camp.Status != campaigns.StatusDraft && camp.Status != campaigns.StatusScheduled {
		return statusError(camp, "Versenden")
	}
	var (
		n      int
		sample []subscribers.Match
	)
	if !o.Yes || o.DryRun {
		// The count for the question or the dry run; with --yes
		// planning finds the recipients itself.
		err = s.EachRecipient(ctx, camp, func(m subscribers.Match) error {
			if n < 10 {
				sample = append(sample, m)
			}
			n++
			return nil
		})
		if err != nil {
			return err
		}
	}
	if o.DryRun {
		fmt.Fprintf(w, "Kampagne %d „%s“ ginge jetzt an %s (%s).\n", camp.ID, titleOf(camp), recipients(n), campaignAudienceLabel(camp))
		if len(sample) > 0 {
			fmt.Fprintf(w, "\nBeispiele:\n")
			t := newTable(w, "  E-MAIL", "ART", "PASSENDE THEMEN")
			for _, m := range sample {
				t.rowFull("  "+m.Email, templates.KindName(m.Kind, i18n.German), strings.Join(m.Topics, ", "))
			}
			t.flush()
		}
		fmt.Fprintf(w, "\nProbelauf: nichts verschickt.\n")
		return nil
	}
	client, err := a.queueClient()
	if err != nil {
		return err
	}
	if !o.Yes {
		whenText := "jetzt"
		if !sendAt.IsZero() {
			whenText = "am " + when(sendAt)
		}
		fmt.Fprintf(w, "Kampagne %d „%s“ %s an %s verschicken? [j/N] ", camp.ID, titleOf(camp), whenText, recipients(n))
		if !agreed(in) {
			fmt.Fprintf(w, "\nNicht verschickt.\n")
			return nil
		}
	}
	a.started = true
	if !sendAt.IsZero() {
		if _, err := s.Schedule(ctx, camp.ID, sendAt, time.Now()); err != nil {
			return campaignError(err)
		}
		if err := client.ScheduleCampaign(ctx, camp.ID, sendAt); err != nil {
			return fmt.Errorf("%w\nDie Kampagne ist geplant; der Worker startet sie trotzdem zur Zeit (er prüft jede Minute)", err)
		}
		fmt.Fprintf(w, "Kampagne %d ist für %s geplant. Ein Worker muss dann laufen (rundbrief worker oder rundbrief run).\n", camp.ID, when(sendAt))
		return nil
	}
	if camp.Status == campaigns.StatusScheduled {
		// Now instead of at its time: a draft again, then started, like
		// any draft. Should the worker start it meanwhile, Start says so.
		if _, err := s.Unschedule(ctx, camp.ID); err != nil {
			return campaignError(err)
		}
		fmt.Fprintf(w, "Kampagne %d war für %s geplant und geht jetzt hinaus.\n", camp.ID, whenPtr(camp.SendAt))
	}
	started := time.Now()
	// Each part of the plan is handed to the worker as soon as it is
	// written, so that the first mails leave while the rest is planned.
	queued := 0
	var qerr error
	plan, err := s.Start(ctx, camp.ID, time.Now(), func(bs []campaigns.BatchRef) {
		if qerr != nil {
			return
		}
		n, err := client.EnqueueBatches(ctx, bs)
		queued += n
		qerr = err
	})
	if err != nil {
		return campaignError(err)
	}
	planned := time.Since(started)
	if qerr != nil {
		return fmt.Errorf("%w\nDie Mails stehen im Versandprotokoll; der Worker holt die fehlenden Aufträge binnen weniger Minuten nach", qerr)
	}
	fmt.Fprintf(w, "Kampagne %d: %s im Versandprotokoll (%s), %s an den Worker übergeben (%s s).\n",
		camp.ID, plural(plan.Recipients, "Mail", "Mails"), plural(plan.Batches, "Paket", "Pakete"), plural(queued, "Auftrag", "Aufträge"),
		strings.Replace(fmt.Sprintf("%.1f", time.Since(started).Seconds()), ".", ",", 1))
	a.logger().Debug("campaign planned", "campaign", camp.ID, "recipients", plan.Recipients, "planning", planned)
	fmt.Fprintf(w, "Fortschritt: rundbrief campaigns status %d --watch\n", camp.ID)
	return nil
}

// statusJSON is what status --json prints.
type statusJSON struct {
	ID       int64              `json:"id"`
	Status   campaigns.Status   `json:"status"`
	Progress campaigns.Progress `json:"progress"`
}

func newCampaignsStatusCmd(a *app) *cobra.Command {
	var (
		watch, asJSON bool
		every         time.Duration
	)
	c := &cobra.Command{
		Use:   "status NR",
		Short: "Den Stand des Versands zeigen; mit --watch laufend als Fortschrittsbalken",
		Long: `Zeigt, wie viele Mails versandt, fehlgeschlagen, unzustellbar, übersprungen
(abbestellt während des Versands) und noch offen sind. Mit --watch läuft ein
Fortschrittsbalken mit Mails je Sekunde und voraussichtlicher Restzeit, bis alles
erledigt ist (beenden mit Strg+C; der Versand läuft weiter).`,
		Example: `  rundbrief campaigns status 3
  rundbrief campaigns status 3 --watch`,
		Args: exactArgs(1, "die Nummer der Kampagne"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, camp, p, err := a.campaignProgress(ctx, args[0])
			if err != nil {
				return err
			}
			switch {
			case asJSON:
				return writeJSON(cmd.OutOrStdout(), statusJSON{camp.ID, camp.Status, p})
			case !watch:
				out(cmd, "Kampagne %d „%s“: %s\n%s\n", camp.ID, titleOf(camp), word(campaignStatusWords, camp.Status), progressLine(p))
				return nil
			}
			return watchProgress(ctx, cmd, s, camp, every)
		},
	}
	c.Flags().BoolVar(&watch, "watch", false, "laufend anzeigen, bis der Versand fertig ist")
	c.Flags().BoolVar(&asJSON, "json", false, "als JSON ausgeben")
	c.Flags().DurationVar(&every, "every", time.Second, "mit --watch: so oft nachsehen")
	c.Flags().MarkHidden("every")
	return c
}

// watchProgress draws a progress bar of camp's final deliveries until none
// is open, the campaign is cancelled, or ctx ends.
func watchProgress(ctx context.Context, cmd *cobra.Command, s *campaigns.Store, camp *campaigns.Campaign, every time.Duration) error {
	out(cmd, "Kampagne %d „%s“\n", camp.ID, titleOf(camp))
	var bar *progressbar.ProgressBar
	waiting := false
	for {
		c, err := s.Get(ctx, camp.ID)
		if err != nil {
			return err
		}
		p, err := s.Progress(ctx, camp.ID)
		if err != nil {
			return err
		}
		if bar == nil && p.Total > 0 {
			bar = progressbar.NewOptions(p.Total,
				progressbar.OptionSetWriter(cmd.OutOrStdout()),
				progressbar.OptionSetWidth(30),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("Mails"),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionSetElapsedTime(true),
				progressbar.OptionThrottle(0),
				progressbar.OptionShowDescriptionAtLineEnd(),
				progressbar.OptionSetRenderBlankState(true),
			)
		}
		if bar != nil {
			bar.Describe(fmt.Sprintf("%s · %d fehlgeschlagen · %d unzustellbar · %d übersprungen · %d offen",
				word(campaignStatusWords, c.Status), p.Failed, p.Bounced, p.Skipped, p.Remaining()))
			bar.Set(p.Final())
		}
		switch {
		case c.Status == campaigns.StatusDraft:
			return errors.New("die Kampagne ist noch nicht verschickt: rundbrief campaigns send " + fmt.Sprint(c.ID))
		case c.Status == campaigns.StatusScheduled:
			if !waiting {
				out(cmd, "Geplant für %s; der Fortschritt erscheint, sobald der Versand beginnt.\n", whenPtr(c.SendAt))
				waiting = true
			}
		case p.Remaining() == 0 && c.Status != campaigns.StatusSending:
			if bar != nil {
				bar.Finish()
			}
			out(cmd, "\n%s: %s\n", word(campaignStatusWords, c.Status), progressLine(p))
			return nil
		}
		select {
		case <-ctx.Done():
			out(cmd, "\n")
			return nil
		case <-time.After(every):
		}
	}
}

func newCampaignsPauseCmd(a *app) *cobra.Command {
	return campaignAction(a, "pause", "Den Versand anhalten", "Anhalten",
		`Die Worker verschicken nichts mehr von dieser Kampagne, bis sie mit resume fortgesetzt
wird. Mails, die ein Worker gerade in der Hand hat (höchstens ein Paket je Worker-Faden),
gehen noch hinaus.`,
		func(ctx context.Context, s *campaigns.Store, c *campaigns.Campaign, cmd *cobra.Command) error {
			c, err := s.Pause(ctx, c.ID)
			if err != nil {
				return err
			}
			out(cmd, "Kampagne %d ist angehalten. Fortsetzen: rundbrief campaigns resume %d\n", c.ID, c.ID)
			return nil
		})
}

func newCampaignsResumeCmd(a *app) *cobra.Command {
	return campaignAction(a, "resume", "Einen angehaltenen Versand fortsetzen", "Fortsetzen", "",
		func(ctx context.Context, s *campaigns.Store, c *campaigns.Campaign, cmd *cobra.Command) error {
			client, err := a.queueClient()
			if err != nil {
				return err
			}
			if c, err = s.Resume(ctx, c.ID); err != nil {
				return err
			}
			batches, err := s.OpenBatches(ctx, 0)
			if err != nil {
				return err
			}
			var mine []campaigns.OpenBatch
			for _, b := range batches {
				if b.CampaignID == c.ID {
					mine = append(mine, b)
				}
			}
			if _, err := client.EnqueueOpenBatches(ctx, mine); err != nil {
				return fmt.Errorf("%w\nDer Worker holt die fehlenden Aufträge binnen weniger Minuten nach", err)
			}
			out(cmd, "Kampagne %d wird weiter verschickt.\n", c.ID)
			return nil
		})
}

func newCampaignsCancelCmd(a *app) *cobra.Command {
	return campaignAction(a, "cancel", "Einen Versand endgültig abbrechen", "Abbrechen",
		`Alle noch offenen Mails der Kampagne werden gestrichen; das lässt sich nicht
rückgängig machen. Mails, die ein Worker gerade in der Hand hat, gehen noch hinaus.`,
		func(ctx context.Context, s *campaigns.Store, c *campaigns.Campaign, cmd *cobra.Command) error {
			c, err := s.Cancel(ctx, c.ID)
			if err != nil {
				return err
			}
			p, err := s.Progress(ctx, c.ID)
			if err != nil {
				return err
			}
			out(cmd, "Kampagne %d ist abgebrochen: %s\n", c.ID, progressLine(p))
			return nil
		})
}

// campaignAction is a command that does one thing to one campaign.
func campaignAction(a *app, use, short, action, long string,
	do func(context.Context, *campaigns.Store, *campaigns.Campaign, *cobra.Command) error) *cobra.Command {
	return &cobra.Command{
		Use:     use + " NR",
		Short:   short,
		Long:    long,
		Example: "  rundbrief campaigns " + use + " 3",
		Args:    exactArgs(1, "die Nummer der Kampagne"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, c, err := a.campaign(ctx, args[0])
			if err != nil {
				return err
			}
			a.started = true
			if err := do(ctx, s, c, cmd); err != nil {
				if errors.Is(err, campaigns.ErrStatus) {
					if now, gerr := s.Get(ctx, c.ID); gerr == nil {
						c = now
					}
					return statusError(c, action)
				}
				return campaignError(err)
			}
			return nil
		},
	}
}
