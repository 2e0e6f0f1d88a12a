package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/doctor"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/migrations"
)

func newDoctorCmd(a *app) *cobra.Command {
	var dnsServer string
	c := &cobra.Command{
		Use:   "doctor",
		Short: "Prüfen, ob alles für den Versand bereit ist",
		Long: `Prüft, was vor dem ersten Versand stimmen muss, und sagt zu jedem Punkt OK, WARNUNG
oder FEHLER mit dem, was zu tun ist:

  – Datenbank und Warteschlange (PostgreSQL, Redis)
  – der Mailserver: Verbindung, Verschlüsselung (STARTTLS), Anmeldung, PIPELINING,
    SMTPUTF8 und die größte Mail, die er annimmt (SIZE)
  – die DNS-Einträge der Absenderdomain, die Gmail, Yahoo, GMX, web.de und t-online
    von Absendern vieler Mails verlangen: SPF, DKIM und DMARC
  – die Anmeldung am Postfach für Unzustellbarkeitsmeldungen

Rückgabewert 1, wenn ein Punkt FEHLER ist. Es wird keine Mail verschickt.`,
		Example: `  rundbrief doctor
  rundbrief doctor --dns 192.0.2.53`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.doctor(cmd.Context(), cmd.OutOrStdout(), dnsServer)
		},
	}
	c.Flags().StringVar(&dnsServer, "dns", "", "diesen DNS-Server fragen (Adresse[:Port]) statt des Systems")
	return c
}

// doctor runs the checks and prints them.
func (a *app) doctor(ctx context.Context, w io.Writer, dnsServer string) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	from := cfg.FromAddress().Address
	d := &doctor.Doctor{
		FromDomain:    domainOf(from),
		Outbox:        cfg.Outbox,
		BiggestMail:   campaigns.MaxFilesBytes*4/3 + 256<<10, // the attachments in base64, the text, the logos
		BounceAddress: cfg.BounceAddress,
		Database: func(ctx context.Context) (int, int, error) {
			db, err := a.openDB(ctx)
			if err != nil {
				return 0, 0, err
			}
			states, err := migrations.List(ctx, db.DB)
			applied := 0
			for _, s := range states {
				if s.Applied {
					applied++
				}
			}
			return applied, len(states), err
		},
		Queue: func(context.Context) error { _, err := a.queueClient(); return err },
	}
	d.EnvelopeDomain = d.FromDomain
	if cfg.BounceAddress != "" {
		d.EnvelopeDomain = domainOf(cfg.BounceAddress)
	}
	if dk := cfg.DKIM(); dk != nil {
		d.DKIM = dk.Records()
	}
	if dnsServer != "" {
		addr := dnsServer
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, "53")
		}
		d.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var dialer net.Dialer
			return dialer.DialContext(ctx, network, addr)
		}}
	}
	if s := cfg.SMTP(); s != nil {
		sc := *s
		sc.MaxConns = 1
		sender, err := mailer.NewSMTPSender(sc)
		if err != nil {
			return err
		}
		defer sender.Close()
		d.Relay, d.RelayName = sender.Probe, net.JoinHostPort(sc.Host, strconv.Itoa(sc.Port))
	}
	if mb := cfg.BounceMailbox(); mb != nil {
		r, err := a.bounceReader(ctx)
		if err != nil {
			return err
		}
		d.Mailbox, d.MailboxName = r.Check, mb.String()
	}

	findings := d.Run(ctx)
	fmt.Fprintf(w, "Prüfung vor dem Versand\n\n")
	counts := map[doctor.Level]int{}
	for _, f := range findings {
		counts[f.Level]++
		label := levelWords[f.Level]
		text := doctorText(f)
		lines := strings.Split(text, "\n")
		fmt.Fprintf(w, "%-8s %s\n", label, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "%-8s %s\n", "", l)
		}
	}
	fmt.Fprintln(w)
	switch {
	case counts[doctor.Fail] > 0:
		fmt.Fprintf(w, "Ergebnis: %d FEHLER, %s. Bitte die Fehler vor dem ersten Versand beheben.\n", counts[doctor.Fail], plural(counts[doctor.Warn], "Warnung", "Warnungen"))
		return exitCodeError{exitError}
	case counts[doctor.Warn] > 0:
		fmt.Fprintf(w, "Ergebnis: bereit, mit %s.\n", plural(counts[doctor.Warn], "Warnung", "Warnungen"))
	default:
		fmt.Fprintf(w, "Ergebnis: alles bereit.\n")
	}
	return nil
}

// megabytes is n bytes as an office writes it: "7,3 MB".
func megabytes(n int64) string {
	return strings.Replace(strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64), ".", ",", 1) + " MB"
}

func domainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return strings.ToLower(addr[at+1:])
	}
	return ""
}

var levelWords = map[doctor.Level]string{doctor.OK: "OK", doctor.Warn: "WARNUNG", doctor.Fail: "FEHLER"}

// doctorWords say each finding in German; %[1]s, %[2]s … are its values.
var doctorWords = map[doctor.Code]string{
	doctor.DatabaseOK:          "Datenbank: erreichbar, Schema aktuell (%[1]s Migrationen).",
	doctor.DatabaseDown:        "Datenbank: nicht erreichbar (%[1]s).\nLäuft PostgreSQL? Die Adresse steht in RUNDBRIEF_DATABASE_URL.",
	doctor.DatabaseBehind:      "Datenbank: Schema nicht aktuell (%[1]s von %[2]s Migrationen).\nBitte ausführen: rundbrief migrate",
	doctor.QueueOK:             "Warteschlange (Redis): erreichbar.",
	doctor.QueueDown:           "Warteschlange (Redis): %[1]s",
	doctor.RelayNone:           "Mailserver: keiner eingestellt; Mails gehen in den Ausgangsordner %[1]s.\nFür den Versand RUNDBRIEF_SMTP_URL setzen.",
	doctor.RelayDown:           "Mailserver %[1]s: keine Verbindung (%[2]s).\nAdresse, Port, Zugangsdaten und TLS in RUNDBRIEF_SMTP_URL prüfen.",
	doctor.RelayOK:             "Mailserver %[1]s: verbunden.",
	doctor.RelayPlain:          "Mailserver %[1]s: die Verbindung ist nicht verschlüsselt.\nIn RUNDBRIEF_SMTP_URL tls=starttls oder smtps:// verwenden.",
	doctor.RelayNoAuth:         "Mailserver %[1]s: ohne Anmeldung. Das geht nur, wenn er diesen Rechner an seiner Adresse erkennt.",
	doctor.RelayNoPipelining:   "Mailserver %[1]s: bietet kein PIPELINING; jede Mail braucht mehr Rundreisen, große Aussendungen dauern länger.",
	doctor.RelayNoSMTPUTF8:     "Mailserver %[1]s: bietet kein SMTPUTF8; Adressen mit Umlauten vor dem @ (jörg@…) können nicht beliefert werden.",
	doctor.RelaySizeOK:         "Mailserver: nimmt Mails bis %[1]s an; die größte mögliche Mail hat etwa %[2]s.",
	doctor.RelaySizeSmall:      "Mailserver: nimmt Mails nur bis %[1]s an; mit allen Anhängen kann eine Mail etwa %[2]s haben.\nAnhänge kleiner halten oder die Grenze des Mailservers anheben lassen.",
	doctor.RelaySizeUnknown:    "Mailserver: nennt keine Größengrenze (SIZE); die größte mögliche Mail hat etwa %[1]s.",
	doctor.SPFOK:               "SPF für %[1]s: %[2]s",
	doctor.SPFMissing:          "SPF für %[1]s: kein Eintrag. Empfänger können nicht prüfen, ob der Mailserver für diese Domain senden darf.\nDie IT trägt einen TXT-Eintrag bei %[1]s ein, z. B.: v=spf1 mx include:<Mailserver des Anbieters> -all",
	doctor.SPFMany:             "SPF für %[1]s: %[2]s Einträge; erlaubt ist genau einer (RFC 7208). Die Einträge zu einem zusammenfassen.",
	doctor.SPFOpen:             "SPF für %[1]s: „%[2]s“ erlaubt jedem Server auf der Welt, für diese Domain zu senden.\nMit -all oder ~all enden lassen.",
	doctor.SPFNeutral:          "SPF für %[1]s: „%[2]s“ endet nicht mit -all oder ~all; Empfänger werten das als neutral.",
	doctor.SPFUnaligned:        "SPF: die Absenderadresse für Meldungen (%[1]s) gehört nicht zur Domain der Absenderadresse (%[2]s).\nFür DMARC zählt dann nur DKIM; RUNDBRIEF_BOUNCE_ADDRESS besser auf %[2]s oder eine Subdomain davon legen.",
	doctor.DKIMOK:              "DKIM: der Schlüssel steht richtig im DNS (%[1]s).",
	doctor.DKIMOff:             "DKIM: rundbrief signiert nicht (RUNDBRIEF_DKIM_KEY ist nicht gesetzt).\nDas ist richtig, wenn der Mailserver für %[1]s selbst signiert; bitte bei der IT nachfragen.",
	doctor.DKIMMissing:         "DKIM: kein Schlüssel unter %[1]s im DNS.\nDie IT trägt diesen TXT-Eintrag ein: %[2]s",
	doctor.DKIMMismatch:        "DKIM: unter %[1]s steht ein anderer Schlüssel als der von RUNDBRIEF_DKIM_KEY.\nRichtig ist: %[2]s",
	doctor.DMARCOK:             "DMARC für %[1]s: vorhanden (Richtlinie p=%[2]s).",
	doctor.DMARCMissing:        "DMARC für %[1]s: kein Eintrag. Gmail, Yahoo und andere verlangen ihn von Absendern vieler Mails.\nDie IT trägt einen TXT-Eintrag bei _dmarc.%[1]s ein, mindestens: v=DMARC1; p=none; rua=mailto:<Postfach für Berichte>",
	doctor.DMARCInvalid:        "DMARC für %[1]s: der Eintrag ist ungültig oder doppelt: %[2]s",
	doctor.DNSDown:             "DNS: %[1]s ließ sich nicht abfragen (%[2]s).",
	doctor.BounceOff:           "Unzustellbarkeitsmeldungen: RUNDBRIEF_BOUNCE_ADDRESS ist nicht gesetzt; Meldungen, die später kommen, werden nicht ausgewertet.",
	doctor.BounceNoMailbox:     "Unzustellbarkeitsmeldungen an %[1]s: kein Postfach eingestellt (RUNDBRIEF_BOUNCE_IMAP_URL).\nDas ist richtig, wenn der Mailserver sie an rundbrief bounces receive weiterreicht.",
	doctor.BounceMailboxOK:     "Postfach für Meldungen %[1]s: Anmeldung gelungen.",
	doctor.BounceMailboxFailed: "Postfach für Meldungen %[1]s: %[2]s\nBenutzer, Passwort und Adresse in RUNDBRIEF_BOUNCE_IMAP_URL prüfen.",
}

func doctorText(f doctor.Finding) string {
	format, ok := doctorWords[f.Code]
	if !ok {
		return string(f.Code) + " " + strings.Join(f.Values, " ")
	}
	args := make([]any, len(f.Values))
	for i, v := range f.Values {
		args[i] = v
		switch f.Code {
		case doctor.RelaySizeOK, doctor.RelaySizeSmall, doctor.RelaySizeUnknown:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				args[i] = megabytes(n)
			}
		}
	}
	return fmt.Sprintf(format, args...)
}
