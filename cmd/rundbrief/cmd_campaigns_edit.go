package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

func newCampaignsEditCmd(a *app) *cobra.Command {
	var o editCampaignOptions
	c := &cobra.Command{
		Use:   "edit NR [--subject …] [--body DATEI.md] [--kinds …] [--topics …] [--note …]",
		Short: "Einen Entwurf oder eine geplante Kampagne ändern",
		Long: `Ändert eine Kampagne, solange sie ein Entwurf oder geplant ist: bei einem Rundbrief
Betreff und Text (auch die englische Fassung; --subject-en "" und --body-en "" zusammen
entfernen sie), bei einer Einladung den eigenen Betreff und Absatz (--subject, --intro;
"" nimmt wieder den üblichen), bei jeder Kampagne an eine Zielgruppe deren Arten und Themen, bei einer
Erinnerung, Änderung oder Absage den zusätzlichen Satz (--note). Es gelten dieselben
Prüfungen wie beim Anlegen. Was nicht angegeben ist, bleibt.`,
		Example: `  rundbrief campaigns edit 3 --subject "Rundbrief Dezember 2026" --body dezember-korrigiert.md
  rundbrief campaigns edit 4 --kinds Unternehmen,Schule`,
		Args: exactArgs(1, "die Nummer der Kampagne"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Campaign, o.Set = args[0], cmd.Flags().Changed
			return a.editCampaign(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.Subject, "subject", "", "der neue Betreff")
	f.StringVar(&o.Body, "body", "", "Rundbrief: der neue Text als Markdown-Datei")
	f.StringVar(&o.SubjectEN, "subject-en", "", "der neue englische Betreff")
	f.StringVar(&o.Intro, "intro", "", "Einladung: der eigene Absatz über der Tabelle")
	f.StringVar(&o.IntroEN, "intro-en", "", "Einladung: der eigene Absatz auf Englisch")
	f.StringVar(&o.BodyEN, "body-en", "", "Rundbrief: der neue englische Text als Markdown-Datei")
	f.StringSliceVar(&o.Kinds, "kinds", nil, "Zielgruppe: Arten, z. B. Unternehmen,Schule (leer: alle)")
	f.StringSliceVar(&o.Topics, "topics", nil, "Zielgruppe: Themen-Kürzel (leer: alle)")
	f.StringVar(&o.Note, "note", "", "Erinnerung, Änderung, Absage: der zusätzliche Satz")
	f.StringArrayVar(&o.Attach, "attach", nil, `die Anhänge ersetzen (PDF, JPEG, PNG, .ics; mehrmals möglich; --attach "" entfernt alle)`)
	f.StringVar(&o.Greeting, "anrede", "", "förmlich oder neutral")
	f.BoolVar(&o.Archive, "archive", false, "nach dem Versand im öffentlichen Archiv /rundbrief zeigen (--archive=false: nicht)")
	return c
}

// editCampaignOptions are what `campaigns edit` takes.
type editCampaignOptions struct {
	Campaign                         string
	Subject, Body, SubjectEN, BodyEN string // Body and BodyEN are files
	Intro, IntroEN                   string
	Attach                           []string // files; replace the attachments
	Kinds, Topics                    []string
	Note                             string
	Greeting                         string
	Archive                          bool
	Set                              func(flag string) bool // whether a flag was given
}

// editCampaign applies the flags o was given to the campaign it names.
func (a *app) editCampaign(ctx context.Context, w io.Writer, o editCampaignOptions) error {
	s, camp, err := a.campaign(ctx, o.Campaign)
	if err != nil {
		return err
	}
	if camp.Status != campaigns.StatusDraft && camp.Status != campaigns.StatusScheduled {
		return statusError(camp, "Ändern")
	}
	var e campaigns.Edit
	text := func(flag, v string) *string {
		if !o.Set(flag) {
			return nil
		}
		return &v
	}
	e.Subject, e.SubjectEN, e.Note = text("subject", o.Subject), text("subject-en", o.SubjectEN), text("note", o.Note)
	e.Intro, e.IntroEN = text("intro", o.Intro), text("intro-en", o.IntroEN)
	if o.Set("archive") {
		e.Archive = &o.Archive
	}
	if o.Set("anrede") {
		g := parseGreeting(o.Greeting)
		e.Greeting = &g
	}
	var files []campaigns.File
	if o.Set("body") || o.Set("body-en") || o.Set("attach") {
		if files, err = s.Files(ctx, camp.ID); err != nil {
			return err
		}
	}
	pics := pictures{files: slices.DeleteFunc(slices.Clone(files), func(f campaigns.File) bool { return f.ContentID == "" })}
	for _, b := range []struct {
		flag, path string
		to         **string
	}{{"body", o.Body, &e.Body}, {"body-en", o.BodyEN, &e.BodyEN}} {
		if !o.Set(b.flag) {
			continue
		}
		body := ""
		if b.path != "" {
			if body, err = readBody("--"+b.flag, b.path, true); err != nil {
				return err
			}
			if body, err = pics.embed("--"+b.flag, b.path, body); err != nil {
				return err
			}
		}
		*b.to = &body
	}
	if o.Set("body") || o.Set("body-en") || o.Set("attach") {
		final := func(v *string, old string) string {
			if v != nil {
				return *v
			}
			return old
		}
		pics.keepUsed(final(e.Body, camp.Body), final(e.BodyEN, camp.BodyEN))
		attachments := slices.DeleteFunc(files, func(f campaigns.File) bool { return f.ContentID != "" })
		if o.Set("attach") {
			if attachments, err = readAttachments(o.Attach); err != nil {
				return err
			}
		}
		all := append(pics.files, attachments...)
		e.Files = &all
	}
	if o.Set("kinds") || o.Set("topics") {
		aud, err := a.editedAudience(ctx, camp.Audience, o)
		if err != nil {
			return err
		}
		e.Audience = &aud
	}
	if e == (campaigns.Edit{}) {
		return errors.New("nichts zu ändern: --subject, --body, --subject-en, --body-en, --intro, --intro-en, --attach, --archive, --kinds, --topics, --note oder --anrede angeben")
	}
	a.started = true
	camp, err = s.Edit(ctx, camp.ID, e)
	if err != nil {
		return campaignError(err)
	}
	n, err := countRecipients(ctx, s, camp)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Kampagne %d geändert (%s): %s\nZielgruppe: %s – derzeit %s.\n", camp.ID, word(campaignStatusWords, camp.Status),
		titleOf(camp), campaignAudienceLabel(camp), recipients(n))
	return nil
}

// editedAudience is aud with the kinds and topics o gives instead.
func (a *app) editedAudience(ctx context.Context, aud subscribers.Audience, o editCampaignOptions) (subscribers.Audience, error) {
	s, err := a.store(ctx)
	if err != nil {
		return aud, err
	}
	if o.Set("kinds") {
		aud.Kinds = nil
		for _, k := range o.Kinds {
			kind, err := subscribers.ParseKind(k)
			if err != nil {
				return aud, explain(err)
			}
			aud.Kinds = append(aud.Kinds, kind)
		}
	}
	if o.Set("topics") {
		known, err := s.Topics(ctx)
		if err != nil {
			return aud, err
		}
		aud.Topics = nil
		for _, t := range o.Topics {
			slug, ok := subscribers.ResolveTopic(known, t)
			if !ok {
				return aud, fmt.Errorf("--topics: unbekanntes Thema „%s“; alle Themen: rundbrief topics list", t)
			}
			if !slices.Contains(aud.Topics, slug) {
				aud.Topics = append(aud.Topics, slug)
			}
		}
	}
	return aud, nil
}

func newCampaignsDeleteCmd(a *app) *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "delete NR",
		Short: "Einen Entwurf löschen",
		Long: `Löscht eine Kampagne, die noch ein Entwurf ist. Geplante Kampagnen werden mit
rundbrief campaigns cancel abgebrochen; verschickte bleiben als Nachweis, wer was bekam.
Gefragt wird, außer mit --yes.`,
		Example: `  rundbrief campaigns delete 5`,
		Args:    exactArgs(1, "die Nummer der Kampagne"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.deleteCampaign(cmd.Context(), cmd.OutOrStdout(), cmd.InOrStdin(), args[0], yes)
		},
	}
	c.Flags().BoolVarP(&yes, "yes", "y", false, "nicht nachfragen")
	return c
}

// deleteCampaign deletes the draft arg names, after asking on in unless
// yes.
func (a *app) deleteCampaign(ctx context.Context, w io.Writer, in io.Reader, arg string, yes bool) error {
	s, camp, err := a.campaign(ctx, arg)
	if err != nil {
		return err
	}
	if camp.Status != campaigns.StatusDraft {
		how := "verschickte Kampagnen bleiben als Nachweis"
		if camp.Status == campaigns.StatusScheduled {
			how = fmt.Sprintf("eine geplante Kampagne wird abgebrochen: rundbrief campaigns cancel %d", camp.ID)
		}
		return fmt.Errorf("%w; %s", statusError(camp, "Löschen"), how)
	}
	if !yes {
		fmt.Fprintf(w, "Entwurf %d „%s“ löschen? [j/N] ", camp.ID, titleOf(camp))
		if !agreed(in) {
			fmt.Fprintf(w, "\nNicht gelöscht.\n")
			return nil
		}
		fmt.Fprintln(w)
	}
	a.started = true
	if err := s.Delete(ctx, camp.ID); err != nil {
		return campaignError(err)
	}
	fmt.Fprintf(w, "Entwurf %d „%s“ gelöscht.\n", camp.ID, titleOf(camp))
	return nil
}
