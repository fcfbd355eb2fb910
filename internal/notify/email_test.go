package notify_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/notify/notifytest"
)

// smtpMail is one message received by smtpServer.
type smtpMail struct {
	from string
	to   []string
	data string
	auth string // decoded AUTH PLAIN response, "" without AUTH
	tls  bool
}

// smtpServer is a minimal in-process SMTP peer: EHLO/HELO, optional
// STARTTLS and AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
type smtpServer struct {
	ln        net.Listener
	listen    string      // address to listen on; default 127.0.0.1:0
	tls       *tls.Config // offer STARTTLS when set
	auth      string      // offer AUTH PLAIN and expect "\x00user\x00pass" when set
	rcptReply string      // reply to RCPT instead of 250 when set
	stall     bool        // never greet
	accepted  chan struct{}

	mu    sync.Mutex
	mails []smtpMail
	wg    sync.WaitGroup
}

func startSMTP(t *testing.T, s *smtpServer) *smtpServer {
	t.Helper()
	if s.listen == "" {
		s.listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", s.listen)
	require.NoError(t, err)
	s.ln = ln
	s.accepted = make(chan struct{}, 16)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted <- struct{}{}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *smtpServer) addr() string { return s.ln.Addr().String() }

func (s *smtpServer) received() []smtpMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMail(nil), s.mails...)
}

func (s *smtpServer) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if s.stall {
		_, _ = io.Copy(io.Discard, c) // until the client hangs up
		return
	}
	r, w := bufio.NewReader(c), c.(io.Writer)
	reply := func(lines ...string) { _, _ = io.WriteString(w, strings.Join(lines, "\r\n")+"\r\n") }
	var m smtpMail
	reply("220 test.local ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			lines := []string{"250-test.local"}
			if s.tls != nil && !m.tls {
				lines = append(lines, "250-STARTTLS")
			}
			if s.auth != "" {
				lines = append(lines, "250-AUTH PLAIN")
			}
			reply(append(lines, "250 8BITMIME")...)
		case "HELO", "NOOP", "RSET":
			reply("250 ok")
		case "STARTTLS":
			reply("220 2.0.0 ready")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c, r, w, m.tls = tc, bufio.NewReader(tc), tc, true
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			dec, err := base64.StdEncoding.DecodeString(resp)
			if !strings.EqualFold(mech, "PLAIN") || err != nil {
				reply("504 5.5.4 unsupported")
				continue
			}
			if string(dec) != s.auth {
				// Echo the credentials, as a careless server might.
				reply("535 5.7.8 bad credentials " + strings.ReplaceAll(string(dec), "\x00", " "))
				continue
			}
			m.auth = string(dec)
			reply("235 2.7.0 authenticated")
		case "MAIL":
			m.from, _, _ = strings.Cut(strings.TrimPrefix(arg, "FROM:"), " ") // drop BODY=8BITMIME
			reply("250 2.1.0 ok")
		case "RCPT":
			if s.rcptReply != "" {
				reply(s.rcptReply)
				continue
			}
			m.to = append(m.to, strings.TrimPrefix(arg, "TO:"))
			reply("250 2.1.5 ok")
		case "DATA":
			reply("354 end with <CRLF>.<CRLF>")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, ".")) // undo dot-stuffing
			}
			m.data = data.String()
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			reply("250 2.0.0 queued")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 unknown command")
		}
	}
}

func newTestEmail(t *testing.T, cfg notify.EmailConfig, opts notify.Options) *notify.Email {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	e, err := notify.NewEmail(cfg, opts)
	require.NoError(t, err)
	return e
}

func emailConfig(addr string) notify.EmailConfig {
	return notify.EmailConfig{
		Smarthost: addr,
		From:      "Auditlake <alerts@example.com>",
		To:        []string{"secops@example.com", "Bob <bob@example.com>"},
	}
}

func TestEmailDelivers(t *testing.T) {
	srv := startSMTP(t, &smtpServer{})
	n := notifytest.Firing()
	n.Summary = "Zürich: 7 failures\n.hidden line starting with a dot"
	retry, err := newTestEmail(t, emailConfig(srv.addr()), notify.Options{}).Notify(t.Context(), []notify.Notification{n})
	require.NoError(t, err)
	require.False(t, retry)

	mails := srv.received()
	require.Len(t, mails, 1)
	got := mails[0]
	require.Equal(t, "<alerts@example.com>", got.from)
	require.Equal(t, []string{"<secops@example.com>", "<bob@example.com>"}, got.to)
	require.False(t, got.tls)

	msg, err := mail.ReadMessage(strings.NewReader(got.data))
	require.NoError(t, err)
	require.Equal(t, `"Auditlake" <alerts@example.com>`, msg.Header.Get("From"))
	require.Equal(t, `<secops@example.com>, "Bob" <bob@example.com>`, msg.Header.Get("To"))
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	require.Equal(t, "[FIRING] job_failures_burst (high): Zürich: 7 failures .hidden line starting with a dot", subject)
	require.Equal(t, fixedNow.Format(time.RFC1123Z), msg.Header.Get("Date"))
	require.Regexp(t, `^<[0-9a-f]{32}@auditlake>$`, msg.Header.Get("Message-ID"))
	require.Equal(t, "text/plain; charset=utf-8", msg.Header.Get("Content-Type"))
	require.Equal(t, "quoted-printable", msg.Header.Get("Content-Transfer-Encoding"))

	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	require.NoError(t, err)
	text := strings.ReplaceAll(string(body), "\r\n", "\n")
	for _, want := range []string{
		"[FIRING] job_failures_burst\n",
		"Zürich: 7 failures\n.hidden line starting with a dot\n",
		"Severity: high\n", "Value: 7\n", "Started: 2019-12-28T22:00:00Z\n",
		"email: alice@example.com\n", "description: More than 5 job failures in an hour\n",
		"Link: " + n.URL + "\n", "Key: " + n.Key + "\n",
	} {
		require.Contains(t, text, want)
	}
}

func TestEmailStartTLSAndAuth(t *testing.T) {
	serverTLS, clientTLS := selfSignedTLS(t)
	srv := startSMTP(t, &smtpServer{tls: serverTLS, auth: "\x00alerts\x00" + notifytest.Secret})
	cfg := emailConfig(srv.addr())
	cfg.AuthUsername = "alerts"
	cfg.AuthPassword = "env:NT_SMTP_PASSWORD"
	cfg.RequireTLS = true
	e := newTestEmail(t, cfg, notify.Options{
		TLSConfig: clientTLS,
		Secrets:   notify.SecretSource{LookupEnv: func(k string) (string, bool) { return notifytest.Secret, k == "NT_SMTP_PASSWORD" }},
	})
	retry, err := e.Notify(t.Context(), []notify.Notification{notifytest.Firing(), notifytest.Resolved()})
	require.NoError(t, err)
	require.False(t, retry)
	mails := srv.received()
	require.Len(t, mails, 1)
	require.True(t, mails[0].tls, "STARTTLS offered, so it must be used")
	require.Equal(t, "\x00alerts\x00"+notifytest.Secret, mails[0].auth)
	msg, err := mail.ReadMessage(strings.NewReader(mails[0].data))
	require.NoError(t, err)
	require.Equal(t, "[FIRING] 2 notifications: job_failures_burst", msg.Header.Get("Subject"))
}

func TestEmailFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server *smtpServer
		cfg    func(*notify.EmailConfig)
		retry  bool
		want   string
	}{
		{name: "rcpt 4xx retries", server: &smtpServer{rcptReply: "450 4.2.1 mailbox busy"}, retry: true, want: "450"},
		{name: "rcpt 5xx is permanent", server: &smtpServer{rcptReply: "550 5.1.1 no such user"}, retry: false, want: "550"},
		{
			name:   "bad password is permanent and not echoed",
			server: &smtpServer{auth: "\x00alerts\x00right-password"},
			cfg:    func(c *notify.EmailConfig) { c.AuthUsername, c.AuthPassword = "alerts", notifytest.Secret },
			retry:  false, want: "535",
		},
		{
			name:  "require_tls without STARTTLS is permanent",
			cfg:   func(c *notify.EmailConfig) { c.RequireTLS = true },
			retry: false, want: "does not offer STARTTLS",
		},
		{
			name:  "auth without AUTH extension is permanent",
			cfg:   func(c *notify.EmailConfig) { c.AuthUsername, c.AuthPassword = "alerts", notifytest.Secret },
			retry: false, want: "does not offer AUTH",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.server == nil {
				tc.server = &smtpServer{}
			}
			srv := startSMTP(t, tc.server)
			cfg := emailConfig(srv.addr())
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			retry, err := newTestEmail(t, cfg, notify.Options{}).Notify(t.Context(), []notify.Notification{notifytest.Firing()})
			require.ErrorContains(t, err, tc.want)
			require.Equal(t, tc.retry, retry, "%v", err)
			notifytest.RequireNoSecret(t, err, notifytest.Secret)
			require.Empty(t, srv.received())
		})
	}
}

func TestEmailConnectionRefusedRetries(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	retry, err := newTestEmail(t, emailConfig(addr), notify.Options{}).Notify(t.Context(), []notify.Notification{notifytest.Firing()})
	require.Error(t, err)
	require.True(t, retry)
}

func TestEmailContextCancel(t *testing.T) {
	srv := startSMTP(t, &smtpServer{stall: true})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-srv.accepted
		cancel()
	}()
	retry, err := newTestEmail(t, emailConfig(srv.addr()), notify.Options{}).Notify(ctx, []notify.Notification{notifytest.Firing()})
	require.ErrorIs(t, err, context.Canceled)
	require.True(t, retry)
}

func TestEmailTimeoutRetries(t *testing.T) {
	srv := startSMTP(t, &smtpServer{stall: true})
	retry, err := newTestEmail(t, emailConfig(srv.addr()), notify.Options{Timeout: 100 * time.Millisecond}).Notify(t.Context(), []notify.Notification{notifytest.Firing()})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.True(t, retry)
}

func TestEmailConfigErrors(t *testing.T) {
	_, err := notify.NewEmail(notify.EmailConfig{Smarthost: "no-port", From: "not an address", To: []string{"ok@example.com", "@@"}, AuthPassword: "x", Hello: "a b"}, notify.Options{})
	require.Error(t, err)
	for _, want := range []string{"smarthost \"no-port\" must be host:port", "from \"not an address\"", "to[1]", "hello", "auth_password needs auth_username"} {
		require.ErrorContains(t, err, want)
	}
	_, err = notify.NewEmail(notify.EmailConfig{}, notify.Options{})
	require.ErrorContains(t, err, "smarthost is required")
	require.ErrorContains(t, err, "from is required")
	require.ErrorContains(t, err, "to needs at least one recipient")
}

// selfSignedTLS returns a server config with a certificate for 127.0.0.1
// and a client config that trusts it.
func selfSignedTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client
}
