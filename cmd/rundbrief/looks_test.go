package main

import (
	"bytes"
	"image"
	_ "image/jpeg"
	"mime"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/icstest"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
)

// withLogos is e with the example logo and the EU emblem configured.
func withLogos(e *cliEnv) *cliEnv {
	return e.with("RUNDBRIEF_LOGO=../../examples/bilder/knf-logo.png",
		"RUNDBRIEF_FOOTER_LOGOS=../../examples/bilder/eu-emblem.png|Kofinanziert von der Europäischen Union|Kofinanziert von der Europäischen Union",
		"RUNDBRIEF_REPLY_TO=Netzwerkstelle Fachkräftesicherung <fachkraefte@example.org>")
}

// srcAttr finds every address the HTML would load.
var srcAttr = regexp.MustCompile(`(?i)\s(?:src|background|srcset)\s*=\s*["']?([^"'\s>]+)`)

// checkSelfContained fails unless every address the HTML of m loads is a
// "cid:" that names a part of m: opening the mail fetches nothing.
func checkSelfContained(t *testing.T, m smtptest.Message) map[string]smtptest.Part {
	t.Helper()
	byID := map[string]smtptest.Part{}
	for _, p := range m.Parts() {
		if id := p.Header.Get("Content-Id"); id != "" {
			byID[strings.Trim(id, "<>")] = p
		}
	}
	srcs := srcAttr.FindAllStringSubmatch(m.HTML(), -1)
	if len(srcs) == 0 {
		t.Errorf("the HTML shows no picture")
	}
	for _, s := range srcs {
		id, ok := strings.CutPrefix(s[1], "cid:")
		if !ok {
			t.Errorf("the HTML loads %s from outside", s[1])
			continue
		}
		if _, ok := byID[id]; !ok {
			t.Errorf("the HTML shows cid:%s, which the mail does not carry", id)
		}
	}
	if strings.Contains(strings.ToLower(m.HTML()), "url(") {
		t.Errorf("the HTML has a CSS url()")
	}
	return byID
}

// An invitation with its own subject and intro, a programme PDF, the
// event's contact person, five days and the office's logo and emblem
// (issue 16, points 4 to 7): the mail says it all once, answers go to the
// contact person, the attachment arrives byte for byte, the pictures are
// parts of the mail, and the calendar file gives five entries.
func TestInvitationWithTheOfficesLooks(t *testing.T) {
	t.Parallel()
	e := withLogos(newCLI(t))
	e.importConfirmed(t, "../../examples/kontakte-demo.csv")
	e.ok(t, "events", "create", "-f", "../../examples/events/talent-campus-2027.yaml")
	e.ok(t, "events", "publish", "talent-campus-2027")
	if out := e.ok(t, "events", "show", "talent-campus-2027"); !strings.Contains(out, "05.07.2027 09:00 bis 15:00; 06.07.2027") ||
		!strings.Contains(out, "Anja Berger, 03631 911-0, fachkraefte@example.org") || !strings.Contains(out, "Jugendliche von 12 bis 18 Jahren") {
		t.Errorf("events show:\n%s", out)
	}
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 0xff, '\r', '\n', '.', ' '}, 40000)...)
	programme := writeFile(t, "Programm Talent-Campus.pdf", string(pdf))
	e.ok(t, "campaigns", "create", "invitation", "--event", "talent-campus-2027", "--subject", "Sommerferien: Talent-Campus für Ihre Kinder",
		"--intro", "Liebe Eltern,\n\nin den Sommerferien wird getanzt, gefilmt und gerappt.", "--attach", programme)
	if out := e.ok(t, "campaigns", "show", "1"); !strings.Contains(out, "Programm-Talent-Campus.pdf") || !strings.Contains(out, "Liebe Eltern") ||
		strings.Contains(out, "Archiv") {
		t.Errorf("campaigns show:\n%s", out)
	}
	e.ok(t, "campaigns", "send", "1", "--yes")
	e.ok(t, "worker", "--until-empty")
	mails := newMails(t, e.outbox, nil)
	if len(mails) == 0 {
		t.Fatal("no invitations")
	}
	m := smtptest.Message{Data: []byte(mails[0])}
	if got := subjectOf(t, mails[0]); got != "Sommerferien: Talent-Campus für Ihre Kinder" {
		t.Errorf("subject %q", got)
	}
	reply, _ := new(mime.WordDecoder).DecodeHeader(m.Header().Get("Reply-To"))
	if reply != `"Anja Berger" <fachkraefte@example.org>` {
		t.Errorf("Reply-To %q, want the event's contact person", reply)
	}
	text := m.Text()
	for _, want := range []string{"Liebe Eltern,", "5. bis 9. Juli 2027, jeweils 9:00 bis 15:00 Uhr", "Für wen: Jugendliche von 12 bis 18 Jahren",
		"Ansprechperson: Anja Berger, Telefon 03631 911-0, fachkraefte@example.org", "Kofinanziert von der Europäischen Union", "Outlook.com: https://outlook.live.com/"} {
		if strings.Count(text, want) != 1 {
			t.Errorf("the text part has %q %d times, want once:\n%s", want, strings.Count(text, want), text)
		}
	}
	for _, not := range []string{"Guten Tag", "Sehr geehrte", "herzlich laden wir Sie"} {
		if strings.Contains(text, not) {
			t.Errorf("the text part has %q beside the intro's own greeting", not)
		}
	}
	byID := checkSelfContained(t, m)
	if _, ok := byID["logo@rundbrief"]; !ok || !strings.Contains(m.HTML(), `alt="Kofinanziert von der Europäischen Union"`) {
		t.Errorf("no logo or emblem: parts %v", byID)
	}
	att, ok := m.Part("application/pdf")
	if !ok || !bytes.Equal(att.Body, pdf) || !strings.Contains(att.Header.Get("Content-Disposition"), `filename="Programm-Talent-Campus.pdf"`) {
		t.Errorf("the programme did not arrive byte for byte (%v, %d bytes, %q)", ok, len(att.Body), att.Header.Get("Content-Disposition"))
	}
	cal, _ := m.Part("text/calendar")
	days := icstest.Occurrences(t, cal.Body, events.Berlin())
	if len(days) != 5 {
		t.Fatalf("%d calendar entries, want 5", len(days))
	}
	for i, d := range days {
		if d.Start.Day() != 5+i || d.Start.Hour() != 9 || d.End.Hour() != 15 || d.Start.Month() != time.July {
			t.Errorf("entry %d: %s – %s", i+1, d.Start, d.End)
		}
	}
	if r := e.run(t, "", "campaigns", "create", "invitation", "--event", "talent-campus-2027", "--attach", writeFile(t, "virus.exe", "MZ\x90\x00")); r.code == 0 ||
		!strings.Contains(r.stderr, "keine PDF-, JPEG-, PNG- oder Kalenderdatei") {
		t.Errorf("an .exe attached: exit %d\n%s", r.code, r.stderr)
	}
	big := writeFile(t, "gross.pdf", "%PDF-1.4\n"+strings.Repeat("x", 5<<20))
	if r := e.run(t, "", "campaigns", "create", "invitation", "--event", "talent-campus-2027", "--attach", big); r.code == 0 ||
		!strings.Contains(r.stderr, "größer als 5 MB") {
		t.Errorf("6 MB attached: exit %d\n%s", r.code, r.stderr)
	}
}

// A newsletter's picture given as a file travels in the mail, scaled down
// to 1200 pixels; a picture on a server is refused (issue 16, point 4).
func TestNewsletterPictureEmbedded(t *testing.T) {
	t.Parallel()
	e := withLogos(newCLI(t))
	e.importConfirmed(t, "../../examples/kontakte-demo.csv")
	dir := t.TempDir()
	if err := os.Mkdir(dir+"/bilder", 0o755); err != nil {
		t.Fatal(err)
	}
	photo, err := os.ReadFile("../../examples/bilder/sommerferien.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/bilder/sommer.jpg", photo, 0o644); err != nil {
		t.Fatal(err)
	}
	body := dir + "/rundbrief.md"
	if err := os.WriteFile(body, []byte("Liebe Partnerinnen und Partner,\n\n![Sommerferien in Nordhausen](bilder/sommer.jpg)\n\nMit freundlichen Grüßen\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Rundbrief Juli", "--body", body)
	e.ok(t, "campaigns", "send", "1", "--yes")
	e.ok(t, "worker", "--until-empty")
	mails := newMails(t, e.outbox, nil)
	if len(mails) == 0 {
		t.Fatal("no newsletter")
	}
	m := smtptest.Message{Data: []byte(mails[0])}
	byID := checkSelfContained(t, m)
	pic, ok := byID["bild-1@rundbrief"]
	if !ok {
		t.Fatalf("the picture is not in the mail: %v", byID)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(pic.Body))
	if err != nil || format != "jpeg" || cfg.Width != 1200 || cfg.Height != 675 {
		t.Errorf("the picture: %s %d×%d (%v), want a JPEG 1200×675", format, cfg.Width, cfg.Height, err)
	}
	// A newsletter is in the archive by default; its mail links there.
	if !strings.Contains(m.Text(), "Im Browser ansehen: https://rundbrief.example/rundbrief/1\n") {
		t.Errorf("no link to the archive:\n%s", m.Text())
	}
	if !strings.Contains(m.HTML(), `alt="Sommerferien in Nordhausen"`) || strings.Contains(m.Text(), "bilder/sommer.jpg") {
		t.Errorf("alt text or file name:\n%s", m.Text())
	}
	remote := writeFile(t, "r.md", "Text\n\n![Zähler](https://tracker.example/p.gif)\n")
	if r := e.run(t, "", "campaigns", "create", "newsletter", "--subject", "S", "--body", remote); r.code == 0 || !strings.Contains(r.stderr, "liegt auf einem Server") {
		t.Errorf("a picture on a server: exit %d\n%s", r.code, r.stderr)
	}
}
