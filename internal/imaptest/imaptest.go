// Package imaptest starts a real IMAP server for tests: Debian's Dovecot
// (dovecot-imapd), on a free port of 127.0.0.1, with one user and its
// maildir in the test's temporary folder, without TLS (loopback only).
// Mails are put into it with APPEND, as a relay's delivery would.
package imaptest

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"

	"github.com/knf-nordhausen/rundbrief/internal/testcert"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
)

// The user of the mailbox.
const (
	User     = "bounces@nordhausen.example"
	Password = "geheim-und-lang"
)

// Server is a running Dovecot.
type Server struct {
	Addr    string // 127.0.0.1:port, IMAP (with STARTTLS, required, when started by StartTLS)
	TLSAddr string // 127.0.0.1:port, IMAP over TLS; "" without TLS
	dir     string
	cert    *testcert.Cert
}

// ClientTLSConfig trusts the server's certificate; nil without TLS.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.cert == nil {
		return nil
	}
	return s.cert.ClientConfig()
}

// URL is the RUNDBRIEF_BOUNCE_IMAP_URL of the server's INBOX, with the
// query query ("" or "move=Erledigt").
func (s *Server) URL(query string) string {
	u := url.URL{Scheme: "imap", User: url.UserPassword(User, Password), Host: s.Addr, Path: "/INBOX", RawQuery: query}
	return u.String()
}

// Start starts Dovecot for t and stops it when t ends. Without Dovecot
// the test fails under CI=true and is skipped elsewhere.
func Start(t testing.TB) *Server { t.Helper(); return start(t, false) }

// StartTLS starts Dovecot with a certificate for 127.0.0.1 of its own:
// on Addr it requires STARTTLS before a login, on TLSAddr it speaks TLS
// from the start (imaps).
func StartTLS(t testing.TB) *Server { t.Helper(); return start(t, true) }

func start(t testing.TB, withTLS bool) *Server {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/dovecot"); statErr == nil {
			bin, err = "/usr/sbin/dovecot", nil
		}
	}
	testenv.Require(t, "Dovecot (apt-get install dovecot-imapd)", err)
	dir, err := os.MkdirTemp("", "rundbrief-imap-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Dovecot gives mail to no root user: as root, the mail belongs to
	// the dovecot user; otherwise everything runs as the current user.
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	mailUser, internal := me, me.Username
	if os.Getuid() == 0 {
		if mailUser, err = user.Lookup("dovecot"); err != nil {
			t.Fatalf("imaptest: running as root needs the dovecot user: %v", err)
		}
		internal = "dovecot"
	}
	port, tlsPort := freePort(t), 0
	sslConf := "ssl = no\ndisable_plaintext_auth = no\n"
	var cert *testcert.Cert
	if withTLS {
		tlsPort = freePort(t)
		if cert, err = testcert.New("imaptest"); err == nil {
			err = cert.WritePEM(dir)
		}
		if err != nil {
			t.Fatalf("imaptest: certificate: %v", err)
		}
		sslConf = fmt.Sprintf("ssl = required\ndisable_plaintext_auth = yes\nssl_cert = <%[1]s/cert.pem\nssl_key = <%[1]s/key.pem\n", dir)
	}
	for _, d := range []string{"run", "state", "mail"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if os.Getuid() == 0 {
		if err := exec.Command("chown", "-R", mailUser.Uid+":"+mailUser.Gid, filepath.Join(dir, "mail")).Run(); err != nil {
			t.Fatal(err)
		}
		os.Chmod(dir, 0o755)
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
%[7]sauth_mechanisms = plain login
default_login_user = %[4]s
default_internal_user = %[4]s
first_valid_uid = %[2]s
mail_location = maildir:%[1]s/mail/%%n
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/users
}
userdb {
  driver = static
  args = uid=%[2]s gid=%[3]s home=%[1]s/mail/%%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[5]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[6]d
    ssl = yes
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
`, dir, mailUser.Uid, mailUser.Gid, internal, port, tlsPort, sslConf)
	if err := os.WriteFile(filepath.Join(dir, "dovecot.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte(User+":{PLAIN}"+Password+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-F", "-c", filepath.Join(dir, "dovecot.conf"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("imaptest: starting dovecot: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir, cert: cert}
	if withTLS {
		s.TLSAddr = fmt.Sprintf("127.0.0.1:%d", tlsPort)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("imaptest: dovecot did not start: %v\n%s\n%s", err, out.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Client logs in to the server as the test user.
func (s *Server) Client(t testing.TB) *client.Client {
	t.Helper()
	var (
		c   *client.Client
		err error
	)
	if s.TLSAddr != "" {
		c, err = client.DialTLS(s.TLSAddr, s.ClientTLSConfig())
	} else {
		c, err = client.Dial(s.Addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(User, Password); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Logout() })
	return c
}

// Append delivers raw into mailbox (created if missing), with its lines
// ending in CRLF as IMAP requires.
func (s *Server) Append(t testing.TB, mailbox string, raw ...[]byte) {
	t.Helper()
	c := s.Client(t)
	if mailbox != "INBOX" {
		c.Create(mailbox)
	}
	for _, r := range raw {
		r = bytes.ReplaceAll(bytes.ReplaceAll(r, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		if err := c.Append(mailbox, nil, time.Now(), bytes.NewReader(r)); err != nil {
			t.Fatal(err)
		}
	}
}

// Mail is one mail in a mailbox, with its flags.
type Mail struct {
	Flags   []string
	Subject string
}

// Has reports whether m has flag.
func (m Mail) Has(flag string) bool {
	for _, f := range m.Flags {
		if strings.EqualFold(f, flag) {
			return true
		}
	}
	return false
}

// Mails lists mailbox.
func (s *Server) Mails(t testing.TB, mailbox string) []Mail {
	t.Helper()
	c := s.Client(t)
	st, err := c.Select(mailbox, true)
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages == 0 {
		return nil
	}
	set := new(imap.SeqSet)
	set.AddRange(1, st.Messages)
	ch := make(chan *imap.Message, st.Messages)
	if err := c.Fetch(set, []imap.FetchItem{imap.FetchFlags, imap.FetchEnvelope}, ch); err != nil {
		t.Fatal(err)
	}
	var out []Mail
	for m := range ch {
		out = append(out, Mail{Flags: m.Flags, Subject: m.Envelope.Subject})
	}
	return out
}
