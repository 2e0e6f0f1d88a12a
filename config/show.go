package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/knf-nordhausen/rundbrief/postgres"
)

// Duration is a length of time written as Go writes it ("36h", "90m") or in
// days ("7d").
type Duration time.Duration

// UnmarshalText reads "7d", "1d12h", "36h" or "90m".
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	var days int64
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseInt(s[:i], 10, 32)
		if err != nil || n < 0 {
			return fmt.Errorf("%q ist keine Dauer wie 7d oder 36h", s)
		}
		days, s = n, s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		var err error
		if rest, err = time.ParseDuration(s); err != nil {
			return fmt.Errorf("%q ist keine Dauer wie 7d oder 36h", string(b))
		}
	}
	*d = Duration(time.Duration(days)*24*time.Hour + rest)
	return nil
}

// String writes whole days as "7d" and anything else as Go does.
func (d Duration) String() string {
	td := time.Duration(d)
	if td > 0 && td%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	}
	return td.String()
}

// Entry is one variable as `rundbrief config` shows it.
type Entry struct {
	Var   string `json:"variable"`
	Value string `json:"value"` // secrets masked
	Set   bool   `json:"set"`   // false: the default applies
}

// Entries lists every variable with its effective value. Passwords and the
// secret are masked.
func (c *Config) Entries() []Entry {
	secret := "(nicht gesetzt)"
	if c.Secret != "" {
		secret = fmt.Sprintf("******** (%d Bytes)", len(c.Secret))
	}
	smtp := "(nicht gesetzt: Mails gehen in den Ausgangsordner)"
	if c.smtp != nil {
		smtp = c.smtp.Redacted()
	}
	adminPassword := ""
	if c.AdminPassword != "" {
		adminPassword = "********"
	}
	bounceIMAP := ""
	if c.bounceIMAP != nil {
		bounceIMAP = c.bounceIMAP.String() + " (Passwort verborgen)"
	}
	e := func(v, val string) Entry { return Entry{Var: v, Value: val, Set: c.set[v]} }
	return []Entry{
		e("RUNDBRIEF_DATABASE_URL", redactURL(c.DatabaseURL)),
		e("RUNDBRIEF_REDIS_URL", redactURL(c.RedisURL)),
		e("RUNDBRIEF_QUEUE_NAMESPACE", c.Namespace),
		e("RUNDBRIEF_SMTP_URL", smtp),
		e("RUNDBRIEF_OUTBOX", c.Outbox),
		e("RUNDBRIEF_FROM", c.From),
		e("RUNDBRIEF_REPLY_TO", c.ReplyTo),
		e("RUNDBRIEF_BASE_URL", c.BaseURL),
		e("RUNDBRIEF_LISTEN", c.Listen),
		e("RUNDBRIEF_NAME", c.Name),
		e("RUNDBRIEF_SECRET", secret),
		e("RUNDBRIEF_OPTIN_TTL", c.OptInTTL.String()),
		e("RUNDBRIEF_PENDING_TTL", c.PendingTTL.String()),
		e("RUNDBRIEF_REGISTRATION_TTL", c.RegistrationTTL.String()),
		e("RUNDBRIEF_RECORD_IP", strconv.FormatBool(c.RecordIP)),
		e("RUNDBRIEF_TRUST_PROXY", strconv.FormatBool(c.TrustProxy)),
		e("RUNDBRIEF_CONCURRENCY", strconv.Itoa(c.Concurrency)),
		e("RUNDBRIEF_RATE", strconv.Itoa(c.Rate)),
		e("RUNDBRIEF_LEASE", c.Lease.String()),
		e("RUNDBRIEF_REQUEUE_EVERY", c.RequeueEvery.String()),
		e("RUNDBRIEF_RETRY_DELAY", c.RetryDelay.String()),
		e("RUNDBRIEF_IMPRESSUM", c.Impressum),
		e("RUNDBRIEF_IMPRESSUM_URL", c.ImpressumURL),
		e("RUNDBRIEF_PRIVACY_URL", c.PrivacyURL),
		e("RUNDBRIEF_LOGO", c.Logo),
		e("RUNDBRIEF_TEXTS", c.Texts),
		e("RUNDBRIEF_FOOTER_LOGOS", c.FooterLogos),
		e("RUNDBRIEF_LOG_LEVEL", strings.ToLower(c.LogLevel.String())),
		e("RUNDBRIEF_BOUNCE_ADDRESS", c.BounceAddress),
		e("RUNDBRIEF_BOUNCE_IMAP_URL", bounceIMAP),
		e("RUNDBRIEF_BOUNCE_POLL", c.BouncePoll.String()),
		e("RUNDBRIEF_DKIM_KEY", c.DKIMKey),
		e("RUNDBRIEF_DKIM_SELECTOR", c.DKIMSelector),
		e("RUNDBRIEF_DKIM_DOMAIN", c.DKIMDomain),
		e("RUNDBRIEF_ADMIN_LISTEN", c.AdminListen),
		e("RUNDBRIEF_ADMIN_PASSWORD", adminPassword),
	}
}

// redactURL is a connection URL with its passwords masked (see
// postgres.Redact).
func redactURL(s string) string {
	if r := postgres.Redact(s); r != "" {
		return r
	}
	return "(unlesbar)"
}
