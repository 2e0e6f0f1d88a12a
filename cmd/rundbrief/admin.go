package main

import (
	"context"
	"fmt"
	"io"

	"github.com/hibiken/asynq"

	"github.com/knf-nordhausen/rundbrief/admin"
	"github.com/knf-nordhausen/rundbrief/worker"
)

// metrics are the process's metrics when RUNDBRIEF_ADMIN_LISTEN is set,
// else nil (nothing is counted).
func (a *app) metrics() *admin.Metrics {
	if a.adminMetrics != nil {
		return a.adminMetrics
	}
	cfg, err := a.config()
	if err != nil || cfg.AdminListen == "" {
		return nil
	}
	m := admin.New()
	insp := asynq.NewInspector(cfg.Redis())
	a.closers = append(a.closers, func() { insp.Close() })
	m.Register(admin.NewQueues(insp, worker.MailQueue(cfg.Namespace), worker.CampaignQueue(cfg.Namespace)))
	a.adminMetrics = m
	return m
}

// startAdmin opens the operator's listener when RUNDBRIEF_ADMIN_LISTEN is
// set, serves it until ctx ends, and says where.
func (a *app) startAdmin(ctx context.Context, w io.Writer) error {
	cfg, err := a.config()
	if err != nil || cfg.AdminListen == "" {
		return err
	}
	ln, err := admin.Listen(cfg.AdminListen)
	if err != nil {
		return fmt.Errorf("die Überwachung kann nicht auf %s lauschen (RUNDBRIEF_ADMIN_LISTEN): %w", cfg.AdminListen, err)
	}
	h := admin.Handler(a.metrics(), cfg.Redis(), cfg.AdminPassword)
	go admin.Serve(ctx, ln, h)
	if cfg.AdminPassword == "" {
		fmt.Fprintf(w, "Überwachung: http://%s/metrics (ohne Passwort; die Übersicht der Warteschlangen braucht RUNDBRIEF_ADMIN_PASSWORD).\n", ln.Addr())
	} else {
		fmt.Fprintf(w, "Überwachung: http://%s/metrics und http://%s/queues/ (Benutzer %s, Passwort aus RUNDBRIEF_ADMIN_PASSWORD).\n", ln.Addr(), ln.Addr(), admin.User)
	}
	return nil
}
