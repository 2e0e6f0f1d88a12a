package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/config"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/templates"
	"github.com/knf-nordhausen/rundbrief/texts"
	"github.com/knf-nordhausen/rundbrief/worker"
)

func newWorkerCmd(a *app) *cobra.Command {
	var (
		untilEmpty bool
		cpuProfile string
	)
	c := &cobra.Command{
		Use:   "worker",
		Short: "Mails aus der Warteschlange verschicken",
		Long: `Verschickt die Mails aus der Warteschlange (Redis) über den Mailserver aus
RUNDBRIEF_SMTP_URL, oder legt sie als .eml-Dateien in RUNDBRIEF_OUTBOX ab, wenn kein
Mailserver eingestellt ist. Mehrere Worker dürfen nebeneinander laufen. Stündlich
wendet ein Worker die Löschfristen an (wie rundbrief purge): Abonnements, die nach
RUNDBRIEF_PENDING_TTL nicht bestätigt sind, und Anmeldungen zu Veranstaltungen
RUNDBRIEF_REGISTRATION_TTL nach deren Ende.

Der Worker läuft, bis er SIGTERM oder Strg+C erhält; dann verschickt er die Mails,
die gerade unterwegs sind, zu Ende und beendet sich. Mit --until-empty endet er,
sobald keine Mail mehr aussteht.`,
		Example: `  rundbrief worker
  rundbrief worker --until-empty`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runWorker(cmd.Context(), cmd.OutOrStdout(), workerOptions{UntilEmpty: untilEmpty, CPUProfile: cpuProfile})
		},
	}
	c.Flags().BoolVar(&untilEmpty, "until-empty", false, "beenden, sobald keine Mail mehr aussteht")
	c.Flags().StringVar(&cpuProfile, "cpuprofile", "", "ein CPU-Profil (pprof) in diese Datei schreiben, für Entwickler")
	c.Flags().MarkHidden("cpuprofile")
	return c
}

// newWorker builds the worker from the configuration: the relay or the
// outbox, the templates and the stores. where says in German where mail
// goes. The sender is closed with the app.
func (a *app) newWorker(ctx context.Context) (w *worker.Worker, sender mailer.Sender, where string, err error) {
	if _, set := os.LookupEnv("GOGC"); !set {
		// A worker makes short-lived garbage for every mail; collecting
		// less often buys about a tenth more mails per second for about
		// 15 MiB more memory (rundbrief-bench). GOGC overrides this.
		debug.SetGCPercent(400)
	}
	cfg, err := a.config()
	if err != nil {
		return nil, nil, "", err
	}
	if _, err := a.queueClient(); err != nil { // Redis answers, or say so in German
		return nil, nil, "", err
	}
	st, err := a.stores(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	renderer, err := a.renderer()
	if err != nil {
		return nil, nil, "", err
	}
	if sender, where, err = a.sender(); err != nil {
		return nil, nil, "", err
	}
	verp, err := a.verp()
	if err != nil {
		return nil, nil, "", err
	}
	reader, err := a.bounceReader(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	var bounceReader worker.BounceReader
	if reader != nil {
		bounceReader = reader
	}
	w, err = worker.New(worker.Config{
		VERP: verp, Bounces: bounceReader, BouncePoll: time.Duration(cfg.BouncePoll), Metrics: a.metrics(),
		Redis: cfg.Redis(), Namespace: cfg.Namespace, Store: st.subs, Campaigns: st.campaigns, Events: st.events, Keys: st.keys, Templates: renderer,
		Sender: sender, From: cfg.FromAddress(), ReplyTo: cfg.ReplyToAddress(), Logos: logos(cfg), BaseURL: cfg.BaseURL, OptInTTL: time.Duration(cfg.OptInTTL),
		PendingTTL: time.Duration(cfg.PendingTTL), RegistrationTTL: time.Duration(cfg.RegistrationTTL), Concurrency: cfg.Concurrency, Rate: cfg.Rate, Logger: a.logger(),
		Lease: time.Duration(cfg.Lease), RequeueEvery: time.Duration(cfg.RequeueEvery),
		RetryDelay: worker.Backoff(time.Duration(cfg.RetryDelay)),
	})
	if err != nil {
		return nil, nil, "", err
	}
	return w, sender, where, nil
}

// renderer builds the mail templates from the configuration, with the
// texts in effect (refused while RUNDBRIEF_TEXTS has problems).
func (a *app) renderer() (*templates.Renderer, error) {
	c, err := a.checkedCatalog()
	if err != nil {
		return nil, err
	}
	return a.rendererWith(c)
}

// rendererWith builds the mail templates with the texts c.
func (a *app) rendererWith(c *texts.Catalog) (*templates.Renderer, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	brand := templates.Brand{
		Name:         cfg.Name,
		Link:         cfg.BaseURL,
		Impressum:    cfg.Impressum,
		ImpressumURL: cfg.ImpressumURL,
		PrivacyURL:   cfg.PrivacyURL,
	}
	logo, footer := cfg.Logos()
	if logo != nil {
		brand.Logo = &templates.Image{ContentID: logo.ContentID, Alt: logo.Alt, Width: logo.Width, Height: logo.Height}
	}
	for _, l := range footer {
		brand.FooterLogos = append(brand.FooterLogos, templates.Image{ContentID: l.ContentID, Alt: l.Alt, Caption: l.Caption, Width: l.Width, Height: l.Height})
	}
	return templates.NewRenderer(brand, time.Duration(cfg.OptInTTL), templates.WithTexts(c))
}

// logos are the pictures every mail carries inline: the logo and the
// footer's (RUNDBRIEF_LOGO, RUNDBRIEF_FOOTER_LOGOS).
func logos(cfg *config.Config) []mailer.Attachment {
	logo, footer := cfg.Logos()
	var out []mailer.Attachment
	if logo != nil {
		footer = append([]config.Logo{*logo}, footer...)
	}
	for _, l := range footer {
		out = append(out, mailer.Attachment{Name: l.Name, ContentType: l.ContentType, Data: l.Data, ContentID: l.ContentID})
	}
	return out
}

// sender is the relay of RUNDBRIEF_SMTP_URL, or else the outbox folder;
// where says which, in German. It is closed with the app.
func (a *app) sender() (sender mailer.Sender, where string, err error) {
	cfg, err := a.config()
	if err != nil {
		return nil, "", err
	}
	if s := cfg.SMTP(); s != nil {
		s.MaxConns = cfg.Concurrency
		s.DKIM = cfg.DKIM()
		if sender, err = mailer.NewSMTPSender(*s); err != nil {
			return nil, "", err
		}
		where = "an den Mailserver " + s.Redacted()
	} else {
		ob, err := mailer.NewOutbox(cfg.Outbox)
		if err != nil {
			return nil, "", err
		}
		ob.DKIM = cfg.DKIM()
		sender, where = ob, "in den Ausgangsordner "+ob.Dir()
	}
	a.closers = append(a.closers, func() { sender.Close() })
	return sender, where, nil
}

// workerOptions are what `worker` takes.
type workerOptions struct {
	UntilEmpty bool   // stop once no mail is owed
	CPUProfile string // write a pprof CPU profile here, for developers
}

// runWorker sends the mail until it is stopped, or with o.UntilEmpty
// until no mail is owed.
func (a *app) runWorker(ctx context.Context, w io.Writer, o workerOptions) error {
	if _, set := os.LookupEnv("GOMAXPROCS"); !set && a.cpus != nil {
		// A worker waits for the relay and PostgreSQL far more than it
		// computes, and one core builds some 20,000 mails a second. A
		// second core buys nothing but the Go scheduler's waking and
		// spinning between them, which the machine's other processes pay
		// for: about 10% of the worker's CPU per mail, and more mails per
		// second on two cores (rundbrief-bench). GOMAXPROCS overrides this;
		// `run`, which serves the pages too, keeps every core.
		a.cpus(1)
	}
	wk, sender, where, err := a.newWorker(ctx)
	if err != nil {
		return err
	}
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if !o.UntilEmpty {
		if err := a.startAdmin(ctx, w); err != nil {
			return err
		}
		fmt.Fprintf(w, "Worker läuft; Mails gehen %s. Beenden mit Strg+C.\n", where)
		return wk.Run(ctx)
	}
	err = wk.RunUntilEmpty(ctx, 250*time.Millisecond)
	var stopped *worker.StoppedError
	if errors.As(err, &stopped) {
		return fmt.Errorf("abgebrochen, bevor alle Mails hinaus waren: %s %s noch aus. "+
			"Sie bleiben gespeichert und gehen hinaus, sobald wieder ein Worker läuft",
			plural(stopped.Open, "Mail", "Mails"), map[bool]string{true: "steht", false: "stehen"}[stopped.Open == 1])
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Keine Mail steht mehr aus. Die Mails gingen %s.\n", where)
	if ob, ok := sender.(*mailer.Outbox); ok {
		files, _ := filepath.Glob(filepath.Join(ob.Dir(), "*.eml"))
		fmt.Fprintf(w, "Im Ausgangsordner liegen %d Mails.\n", len(files))
	}
	return nil
}
