package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// User is the user name of basic auth; only the password is configured.
const User = "admin"

// Handler serves /metrics and, with a Redis connection and a password,
// asynq's dashboard under /queues/. With a password set, every path asks
// for it (user User); without one, only /metrics is served and the
// dashboard, which can delete tasks, is off.
func Handler(m *Metrics, redis asynq.RedisConnOpt, password string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "rundbrief: /metrics (Prometheus), /queues/ (Warteschlangen)")
	})
	if redis != nil && password != "" {
		mon := asynqmon.New(asynqmon.Options{RootPath: "/queues", RedisConnOpt: redis})
		mux.Handle("/queues/", mon)
		mux.Handle("/queues", http.RedirectHandler("/queues/", http.StatusMovedPermanently))
	} else {
		mux.HandleFunc("/queues/", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "Die Übersicht der Warteschlangen braucht RUNDBRIEF_ADMIN_PASSWORD.", http.StatusNotFound)
		})
	}
	if password == "" {
		return mux
	}
	return basicAuth(mux, password)
}

// basicAuth asks for User and password, comparing both in constant time
// (of their hashes, so that neither length shows).
func basicAuth(next http.Handler, password string) http.Handler {
	wantUser, wantPass := sha256.Sum256([]byte(User)), sha256.Sum256([]byte(password))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		gotUser, gotPass := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		if !ok || subtle.ConstantTimeCompare(gotUser[:], wantUser[:])&subtle.ConstantTimeCompare(gotPass[:], wantPass[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="rundbrief", charset="UTF-8"`)
			http.Error(w, "Anmeldung erforderlich.", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Listen opens the admin listener on addr.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin: listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves h on ln until ctx is done.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 60 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin: %w", err)
	}
	return nil
}
