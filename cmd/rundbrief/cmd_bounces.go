package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/bounces"
	"github.com/knf-nordhausen/rundbrief/bounces/imapbox"
	"github.com/knf-nordhausen/rundbrief/config"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// exitTempFail is sendmail's EX_TEMPFAIL: a relay's pipe keeps the mail
// and hands it over again later.
const exitTempFail = 75

func newBouncesCmd(a *app) *cobra.Command {
	return group("bounces", "Unzustellbarkeitsmeldungen und Beschwerden",
		`Mailserver melden nach Stunden, dass eine Mail nicht zugestellt werden konnte
(Unzustellbarkeitsmeldung), und große Mail-Anbieter melden, wenn jemand eine Mail als
Spam markiert hat (Beschwerde). Jede Mail geht dafür mit einem eigenen Absender für
solche Meldungen hinaus (RUNDBRIEF_BOUNCE_ADDRESS mit einem Zeichen hinter +), so dass
jede Meldung ihrer Mail und der Person zugeordnet wird.

Der Worker liest das Postfach RUNDBRIEF_BOUNCE_IMAP_URL selbst; rundbrief bounces
receive nimmt eine Meldung vom Mailserver entgegen, wenn dieser sie weiterreicht.

Die Regeln:
  – dauerhaft unzustellbar (5.x.x): sofort „unzustellbar“ und gesperrt
  – vorübergehend unzustellbar (4.x.x): gezählt; die dritte binnen 30 Tagen wie dauerhaft
  – vom Empfangsserver abgewiesen (5.7.x, z. B. Spamfilter): nur vermerkt; das liegt am
    Absender, nicht an der Adresse
  – Beschwerde: abbestellt, gesperrt und im Einwilligungsprotokoll vermerkt
  – Abwesenheitsnotizen und andere Mails: nichts`,
		newBouncesListCmd(a), newBouncesFetchCmd(a), newBouncesReceiveCmd(a))
}

func newBouncesFetchCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "fetch",
		Short: "Das Postfach für Meldungen jetzt einmal lesen",
		Long: `Liest die neuen Mails im Postfach RUNDBRIEF_BOUNCE_IMAP_URL einmal und verarbeitet sie,
wie es der Worker laufend tut. Jede Mail wird nur einmal gelesen (Schlagwort $Rundbrief);
Meldungen, die gewirkt haben, werden als gelesen markiert und, wenn die Adresse
?move=ORDNER nennt, dorthin verschoben. Andere Mails im Postfach bleiben ungelesen.`,
		Example: `  rundbrief bounces fetch`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.fetchBounces(cmd.Context(), cmd.OutOrStdout())
		},
	}
}

func (a *app) fetchBounces(ctx context.Context, w io.Writer) error {
	r, err := a.bounceReader(ctx)
	if err != nil {
		return err
	}
	if r == nil {
		return &config.Error{Var: "RUNDBRIEF_BOUNCE_IMAP_URL", Err: fmt.Errorf(
			"ist nicht gesetzt; sie nennt das Postfach, in dem die Meldungen ankommen, z. B. imaps://bounces%%40lra.example:passwort@mail.lra.example/INBOX")}
	}
	n, err := r.Poll(ctx)
	if err != nil {
		return fmt.Errorf("das Postfach %s ließ sich nicht lesen: %w", r.Config, err)
	}
	fmt.Fprintf(w, "%s gelesen, %s zu unseren Mails verarbeitet.\n", plural(n.Read, "neue Mail", "neue Mails"),
		plural(n.Acted, "Meldung", "Meldungen"))
	if n.Failed > 0 {
		fmt.Fprintf(w, "%s nicht verarbeitet (Datenbank); sie werden beim nächsten Mal wieder gelesen.\n", plural(n.Failed, "Mail", "Mails"))
		return exitCodeError{exitError}
	}
	return nil
}

func newBouncesListCmd(a *app) *cobra.Command {
	var (
		since  string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "Die Unzustellbarkeitsmeldungen und Beschwerden zeigen",
		Long: `Zeigt die Unzustellbarkeitsmeldungen und Beschwerden der letzten 30 Tage (oder seit
--since): wann, an wen, welche Mail, welche Art und welcher Code (RFC 3463). Der Text der
Meldung wird nicht gespeichert, weil er Adressen nennt.`,
		Example: `  rundbrief bounces list
  rundbrief bounces list --since 7d
  rundbrief bounces list --since 2026-11-01 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			from, err := parseSince(since, time.Now())
			if err != nil {
				return err
			}
			return a.listBounces(cmd.Context(), cmd.OutOrStdout(), from, asJSON)
		},
	}
	c.Flags().StringVar(&since, "since", "30d", "seit wann: eine Dauer wie 7d oder ein Tag wie 2026-11-01")
	c.Flags().BoolVar(&asJSON, "json", false, "als JSON ausgeben")
	return c
}

func newBouncesReceiveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "receive",
		Short: "Eine Meldung von der Standardeingabe verarbeiten (für den Mailserver)",
		Long: `Liest eine Mail von der Standardeingabe und verarbeitet sie wie der Worker die Mails im
Postfach: eine Unzustellbarkeitsmeldung oder Beschwerde zu einer unserer Mails wirkt,
alles andere wird verworfen. Gedacht für den Mailserver, der die Mails an
RUNDBRIEF_BOUNCE_ADDRESS an rundbrief weiterreicht (Postfix: ein pipe-Dienst, siehe
README „Zustellbarkeit“).

Rückgabewert 0, wenn die Mail verarbeitet oder verworfen wurde; 75, wenn die Datenbank
nicht erreichbar war – dann stellt der Mailserver die Mail später noch einmal zu.`,
		Example: `  rundbrief bounces receive < meldung.eml`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.receiveBounce(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}

// parseSince reads --since: a duration back from now ("30d", "12h") or
// a day ("2026-11-01", from its start in Berlin).
func parseSince(s string, now time.Time) (time.Time, error) {
	var d config.Duration
	if err := d.UnmarshalText([]byte(s)); err == nil && d > 0 {
		return now.Add(-time.Duration(d)), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, events.Berlin()); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--since „%s“: erwartet eine Dauer wie 30d oder einen Tag wie 2026-11-01", s)
}

// bounceProcessor is the processor of reports, or an error that says
// what is missing.
func (a *app) bounceProcessor(ctx context.Context) (*bounces.Processor, error) {
	v, err := a.verp()
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, &config.Error{Var: "RUNDBRIEF_BOUNCE_ADDRESS", Err: fmt.Errorf(
			"ist nicht gesetzt; ohne sie lassen sich Unzustellbarkeitsmeldungen keiner Mail zuordnen")}
	}
	st, err := a.stores(ctx)
	if err != nil {
		return nil, err
	}
	return &bounces.Processor{VERP: v, Subscribers: st.subs, Campaigns: st.campaigns, Events: st.events, Metrics: a.metrics()}, nil
}

// verp is the maker of envelope senders, or nil without
// RUNDBRIEF_BOUNCE_ADDRESS.
func (a *app) verp() (*bounces.VERP, error) {
	cfg, err := a.config()
	if err != nil || cfg.BounceAddress == "" {
		return nil, err
	}
	secret, err := cfg.RequireSecret()
	if err != nil {
		return nil, err
	}
	return bounces.NewVERP(cfg.BounceAddress, secret)
}

// bounceReader is the reader of the bounce mailbox, or nil without
// RUNDBRIEF_BOUNCE_IMAP_URL.
func (a *app) bounceReader(ctx context.Context) (*imapbox.Reader, error) {
	cfg, err := a.config()
	if err != nil || cfg.BounceMailbox() == nil {
		return nil, err
	}
	p, err := a.bounceProcessor(ctx)
	if err != nil {
		return nil, err
	}
	return &imapbox.Reader{Config: *cfg.BounceMailbox(), Processor: p, Log: a.logger()}, nil
}

func (a *app) receiveBounce(ctx context.Context, r io.Reader, w io.Writer) error {
	// Whatever goes wrong, the relay keeps the report and hands it over
	// again, so that nothing is lost while the setting or the database
	// is mended.
	p, err := a.bounceProcessor(ctx)
	var res bounces.Result
	if err == nil {
		res, err = p.Process(ctx, r)
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "Fehler: %v\nDie Meldung wurde nicht verarbeitet; der Mailserver stellt sie später noch einmal zu.\n", forStaff(err))
		return exitCodeError{exitTempFail}
	}
	fmt.Fprintln(w, describeResult(res))
	return nil
}

// describeResult says in one line what processing a report did.
func describeResult(res bounces.Result) string {
	rep := res.Report
	switch {
	case rep.Type == bounces.TypeAutoReply:
		return "Abwesenheitsnotiz oder andere automatische Antwort: verworfen."
	case rep.Type == bounces.TypeDelivered:
		return "Zustellbestätigung: verworfen."
	case rep.Type == bounces.TypeOther:
		return "Keine Unzustellbarkeitsmeldung und keine Beschwerde: verworfen."
	case !rep.Matched:
		return bounceClassWords[rep.Class] + ", aber zu keiner unserer Mails (kein gültiger Absender für Meldungen): verworfen."
	case res.Effect == "":
		return bounceClassWords[rep.Class] + " zu " + mailWords(rep.Mail) + ", die es nicht mehr gibt: verworfen."
	}
	line := bounceClassWords[rep.Class]
	if rep.Status != "" {
		line += " (" + rep.Status + ")"
	}
	return fmt.Sprintf("%s zu %s an Nr. %d: %s.", line, mailWords(rep.Mail), res.SubscriberID, bounceEffectWords[res.Effect])
}

// bounceClassWords name the classes of reports.
var bounceClassWords = map[subscribers.BounceClass]string{
	subscribers.BounceHard:   "dauerhaft unzustellbar",
	subscribers.BounceSoft:   "vorübergehend unzustellbar",
	subscribers.BouncePolicy: "vom Empfangsserver abgewiesen",
	subscribers.Complaint:    "Beschwerde (als Spam gemeldet)",
}

// bounceEffectWords say what a report did.
var bounceEffectWords = map[subscribers.BounceEffect]string{
	subscribers.BounceRepeated:     "schon verarbeitet, nichts geändert",
	subscribers.BounceCounted:      "vermerkt, die Adresse bleibt",
	subscribers.BounceMarked:       "jetzt unzustellbar und gesperrt",
	subscribers.BounceUnsubscribed: "abbestellt und gesperrt",
	subscribers.BounceNoChange:     "vermerkt; die Adresse war schon gesperrt",
}

// mailWords name the mail a report is about.
func mailWords(ref maillog.Ref) string {
	switch ref.Log {
	case maillog.Deliveries:
		return fmt.Sprintf("Mail %d einer Kampagne", ref.ID)
	case maillog.RegistrationMails:
		return fmt.Sprintf("Mail %d zu einer Anmeldung", ref.ID)
	case maillog.SubscriptionMails:
		return fmt.Sprintf("Mail %d zum Abonnement", ref.ID)
	}
	return fmt.Sprintf("Mail %d", ref.ID)
}

func (a *app) listBounces(ctx context.Context, w io.Writer, since time.Time, asJSON bool) error {
	s, err := a.store(ctx)
	if err != nil {
		return err
	}
	list, err := s.Bounces(ctx, since, 0)
	if err != nil {
		return err
	}
	if asJSON {
		if list == nil {
			list = []subscribers.BounceEntry{}
		}
		return writeJSON(w, list)
	}
	if len(list) == 0 {
		fmt.Fprintf(w, "Keine Unzustellbarkeitsmeldungen und Beschwerden seit %s.\n", when(since))
		return nil
	}
	t := newTable(w, "EINGANG", "NR", "E-MAIL", "ART", "CODE", "MAIL")
	counts := map[subscribers.BounceClass]int{}
	for _, b := range list {
		t.row(when(b.ReceivedAt), fmt.Sprint(b.SubscriberID), b.Email, bounceClassWords[b.Class], b.Status, mailWords(b.Mail()))
		counts[b.Class]++
	}
	t.flush()
	var parts []string
	for _, c := range []subscribers.BounceClass{subscribers.BounceHard, subscribers.BounceSoft, subscribers.BouncePolicy, subscribers.Complaint} {
		if counts[c] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[c], bounceClassWords[c]))
		}
	}
	fmt.Fprintf(w, "%s seit %s: %s\n", plural(len(list), "Meldung", "Meldungen"), when(since), strings.Join(parts, ", "))
	if counts[subscribers.BouncePolicy] > 0 {
		fmt.Fprintln(w, "Abweisungen durch den Empfangsserver liegen meist am Absender: bitte SPF, DKIM und DMARC der Absenderadresse prüfen lassen (README, „Zustellbarkeit“).")
	}
	return nil
}
