package main

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/knf-nordhausen/rundbrief/texts"
	"github.com/knf-nordhausen/rundbrief/web"
)

func newServeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "die Webseiten zum Abonnieren, Bestätigen und Abbestellen bereitstellen",
		Long: `Stellt die öffentlichen Webseiten bereit: das Formular zum Abonnieren (/), die
Bestätigung (/confirm/…), die Einstellungen mit „Meine Daten“ und Löschen
(/preferences/…), das Abbestellen (/unsubscribe/…, auch mit einem Klick nach RFC 8058)
und die Seiten der Veranstaltungen mit der Anmeldung über den Link der Einladung.

Der Server lauscht auf RUNDBRIEF_LISTEN (Standard 127.0.0.1:8080); von außen ist er
unter RUNDBRIEF_BASE_URL erreichbar, meist über einen Reverse Proxy, der HTTPS
übernimmt (dann RUNDBRIEF_TRUST_PROXY=true). Die Mails verschickt ein Worker
(rundbrief worker) – oder rundbrief run, das beides in einem Prozess startet.`,
		Example: `  RUNDBRIEF_LISTEN=:8080 RUNDBRIEF_BASE_URL=https://rundbrief.example.org rundbrief serve`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			srv, err := a.newWebServer(ctx)
			if err != nil {
				return err
			}
			cfg, _ := a.config()
			if err := a.startAdmin(ctx, cmd.OutOrStdout()); err != nil {
				return err
			}
			a.watchTopics(ctx, srv)
			out(cmd, "Webseiten laufen auf %s, erreichbar unter %s. Beenden mit Strg+C.\n", cfg.Listen, cfg.BaseURL)
			return srv.ListenAndServe(ctx, cfg.Listen)
		},
	}
}

func newRunCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Webseiten und Worker in einem Prozess (für eine kleine Stelle)",
		Long: `Startet die Webseiten (wie rundbrief serve) und den Worker (wie rundbrief worker)
in einem Prozess. Das genügt für eine Stelle mit einigen tausend Empfängerinnen und Empfängern; für mehr
Last laufen serve und mehrere worker als eigene Prozesse. Strg+C oder SIGTERM
beendet beides; Mails, die gerade unterwegs sind, werden noch verschickt.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			srv, err := a.newWebServer(ctx)
			if err != nil {
				return err
			}
			w, _, where, err := a.newWorker(ctx)
			if err != nil {
				return err
			}
			cfg, _ := a.config()
			if err := a.startAdmin(ctx, cmd.OutOrStdout()); err != nil {
				return err
			}
			a.watchTopics(ctx, srv)
			out(cmd, "Webseiten laufen auf %s (%s); Mails gehen %s. Beenden mit Strg+C.\n", cfg.Listen, cfg.BaseURL, where)
			// If one half fails, stop the other, so the office notices.
			g, ctx := errgroup.WithContext(ctx)
			g.Go(func() error { return stopOthers(srv.ListenAndServe(ctx, cfg.Listen)) })
			g.Go(func() error { return stopOthers(w.Run(ctx)) })
			err = g.Wait()
			if errors.Is(err, errStopped) {
				return nil
			}
			return err
		},
	}
}

// watchTopics lets srv keep the rendered subscription form until the
// topics change; without the notification connection it renders the
// form for every request, as before, and says so in the log.
func (a *app) watchTopics(ctx context.Context, srv *web.Server) {
	cfg, err := a.config()
	if err != nil {
		return
	}
	if err := srv.WatchTopics(ctx, cfg.DatabaseURL); err != nil {
		a.logger().Warn("the subscription form is rendered for every request: listening for topic changes failed", "error", err)
	}
}

// errStopped ends an errgroup whose member returned without error, so the
// other members stop too.
var errStopped = errors.New("stopped")

func stopOthers(err error) error {
	if err == nil {
		return errStopped
	}
	return err
}

// newWebServer builds the web server from the configuration, with the
// texts in effect, and keeps the consent wording with its version.
func (a *app) newWebServer(ctx context.Context) (*web.Server, error) {
	c, err := a.checkedCatalog()
	if err != nil {
		return nil, err
	}
	st, err := a.stores(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.recordConsentTexts(ctx, st.subs, c); err != nil {
		return nil, err
	}
	return a.newWebServerWith(ctx, c)
}

// newWebServerWith builds the web server with the texts c.
func (a *app) newWebServerWith(ctx context.Context, c *texts.Catalog) (*web.Server, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	st, err := a.stores(ctx)
	if err != nil {
		return nil, err
	}
	q, err := a.queueClient()
	if err != nil {
		return nil, err
	}
	return web.New(web.Config{
		Store: st.subs, Keys: st.keys, Queue: q, Events: st.events, Campaigns: st.campaigns, From: cfg.FromAddress(), BaseURL: cfg.BaseURL,
		Name: cfg.Name, Impressum: cfg.Impressum, ImpressumURL: cfg.ImpressumURL, PrivacyURL: cfg.PrivacyURL,
		RecordIP: cfg.RecordIP, TrustProxy: cfg.TrustProxy, OptInTTL: time.Duration(cfg.OptInTTL), Logger: a.logger(),
		Texts: c, Metrics: a.metrics(),
	})
}
