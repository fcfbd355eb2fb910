package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// EmailConfig configures email over SMTP.
type EmailConfig struct {
	// Smarthost is the SMTP server as host:port (587 for submission).
	Smarthost string `yaml:"smarthost" json:"smarthost"`
	// From is the sender address (RFC 5322, "Name <a@b>" allowed).
	From string `yaml:"from" json:"from"`
	// To lists the recipient addresses.
	To []string `yaml:"to" json:"to"`
	// Hello is the EHLO name; default "localhost".
	Hello string `yaml:"hello,omitempty" json:"hello,omitempty"`
	// AuthUsername enables AUTH PLAIN; empty sends without authentication.
	AuthUsername string `yaml:"auth_username,omitempty" json:"auth_username,omitempty"`
	// AuthPassword is the AUTH PLAIN password.
	AuthPassword Secret `yaml:"auth_password,omitempty" json:"auth_password,omitempty"`
	// RequireTLS fails delivery when the server does not offer STARTTLS.
	// STARTTLS is always used when offered; net/smtp also refuses PLAIN
	// auth without TLS except to localhost.
	RequireTLS bool `yaml:"require_tls,omitempty" json:"require_tls,omitempty"`
}

func (c EmailConfig) validate() error {
	var errs []error
	if c.Smarthost == "" {
		errs = append(errs, errors.New("smarthost is required"))
	} else if host, port, err := net.SplitHostPort(c.Smarthost); err != nil || host == "" || port == "" {
		errs = append(errs, fmt.Errorf("smarthost %q must be host:port", c.Smarthost))
	}
	if c.From == "" {
		errs = append(errs, errors.New("from is required"))
	} else if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("from %q: %w", c.From, err))
	}
	if len(c.To) == 0 {
		errs = append(errs, errors.New("to needs at least one recipient"))
	}
	for i, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			errs = append(errs, fmt.Errorf("to[%d] %q: %w", i, to, err))
		}
	}
	if strings.ContainsAny(c.Hello, " \r\n") {
		errs = append(errs, fmt.Errorf("hello %q must be a host name", c.Hello))
	}
	if err := checkRef(c.AuthPassword, "auth_password", false); err != nil {
		errs = append(errs, err)
	}
	if c.AuthPassword != "" && c.AuthUsername == "" {
		errs = append(errs, errors.New("auth_password needs auth_username"))
	}
	return errors.Join(errs...)
}

// Email sends plain-text mail over SMTP.
type Email struct {
	name       string
	smarthost  string
	host       string
	hello      string
	from       *mail.Address
	to         []*mail.Address
	username   string
	password   Secret
	requireTLS bool
	tls        *tls.Config
	timeout    time.Duration
	now        func() time.Time
	scrub      *scrubber
}

var _ Receiver = (*Email)(nil)

// NewEmail validates cfg, resolves the password and returns the receiver.
func NewEmail(cfg EmailConfig, opts Options) (*Email, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("email config: %w", err)
	}
	opts = opts.withDefaults("email")
	host, _, _ := net.SplitHostPort(cfg.Smarthost)
	e := &Email{
		name: opts.Name, smarthost: cfg.Smarthost, host: host, hello: cfg.Hello,
		username: cfg.AuthUsername, requireTLS: cfg.RequireTLS,
		timeout: opts.Timeout, now: opts.Now, scrub: &scrubber{},
	}
	if e.hello == "" {
		e.hello = "localhost"
	}
	e.from, _ = mail.ParseAddress(cfg.From)
	for _, to := range cfg.To {
		a, _ := mail.ParseAddress(to)
		e.to = append(e.to, a)
	}
	if cfg.AuthPassword != "" {
		pw, err := cfg.AuthPassword.Resolve(opts.Secrets)
		if err != nil {
			return nil, fmt.Errorf("email auth_password: %w", err)
		}
		e.password = pw
		e.scrub.add(pw.Reveal())
	}
	if opts.TLSConfig != nil {
		e.tls = opts.TLSConfig.Clone()
	} else {
		e.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if e.tls.ServerName == "" {
		e.tls.ServerName = host
	}
	return e, nil
}

// Name returns the receiver name.
func (e *Email) Name() string { return e.name }

// Notify sends one mail holding every notification of the batch.
func (e *Email) Notify(ctx context.Context, ns []Notification) (bool, error) {
	if len(ns) == 0 {
		return false, nil
	}
	retry, err := e.send(ctx, e.message(batchKey(ctx, ns), ns))
	return retry, e.scrub.err(err)
}

// send runs one SMTP conversation: EHLO, STARTTLS when offered, AUTH PLAIN
// when configured, MAIL, RCPT, DATA, QUIT.
func (e *Email) send(ctx context.Context, msg []byte) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.smarthost)
	if err != nil {
		return e.classify(ctx, "connecting to "+e.smarthost, err)
	}
	// Unblock any read or write when ctx ends; net/smtp has no ctx support.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		// Backstop only: the AfterFunc above fires first, so the error
		// reports the context's deadline rather than a bare i/o timeout.
		_ = conn.SetDeadline(dl.Add(time.Second))
	}
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		_ = conn.Close()
		return e.classify(ctx, "reading greeting from "+e.smarthost, err)
	}
	defer c.Close()
	if err := c.Hello(e.hello); err != nil {
		return e.classify(ctx, "sending EHLO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(e.tls); err != nil {
			return e.classify(ctx, "starting TLS", err)
		}
	} else if e.requireTLS {
		return false, fmt.Errorf("smtp server %s does not offer STARTTLS and require_tls is set", e.smarthost)
	}
	if e.username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return false, fmt.Errorf("smtp server %s does not offer AUTH", e.smarthost)
		}
		if err := c.Auth(smtp.PlainAuth("", e.username, e.password.Reveal(), e.host)); err != nil {
			return e.classify(ctx, "authenticating as "+e.username, err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return e.classify(ctx, "sending MAIL FROM", err)
	}
	for _, to := range e.to {
		if err := c.Rcpt(to.Address); err != nil {
			return e.classify(ctx, "sending RCPT TO "+to.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return e.classify(ctx, "sending DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return e.classify(ctx, "writing message", err)
	}
	if err := w.Close(); err != nil {
		return e.classify(ctx, "finishing message", err)
	}
	// The server accepted the mail; a failing QUIT does not undo that.
	_ = c.Quit()
	return false, nil
}

// classify wraps err with step and says whether to retry: SMTP 4xx and
// network trouble (including ctx ending) retry; SMTP 5xx and local
// refusals (no AUTH, unencrypted auth) are permanent.
func (e *Email) classify(ctx context.Context, step string, err error) (bool, error) {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(err, ctxErr) {
			return true, fmt.Errorf("%s: %w", step, err)
		}
		return true, fmt.Errorf("%s: %w: %w", step, ctxErr, err)
	}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return tp.Code >= 400 && tp.Code < 500, fmt.Errorf("%s: smtp %w", step, err)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true, fmt.Errorf("%s: %w", step, err)
	}
	return false, fmt.Errorf("%s: %w", step, err)
}

// message renders the RFC 5322 message for ns; key becomes its Message-ID.
func (e *Email) message(key string, ns []Notification) []byte {
	var b bytes.Buffer
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.String()
	}
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", e.from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", EmailSubject(ns)))
	header("Date", e.now().Format(time.RFC1123Z))
	// Stable across retries so mail systems can drop a duplicate.
	header("Message-ID", "<"+key+"@auditlake>")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(EmailBody(ns)))
	_ = qp.Close()
	return b.Bytes()
}

// emailSubjectMax keeps the Subject header well under the 998-octet limit.
const emailSubjectMax = 200

// EmailSubject returns the subject for ns: the one-line rendering of a
// single notification, or "[FIRING] 3 notifications: rule, ..." for a
// batch. Line breaks are removed (no header injection).
func EmailSubject(ns []Notification) string {
	s := ""
	if len(ns) == 1 {
		s = oneLine(ns[0])
	} else {
		rules := []string{}
		seen := map[string]bool{}
		for _, n := range ns {
			if !seen[n.Rule] {
				seen[n.Rule] = true
				rules = append(rules, n.Rule)
			}
		}
		s = "[" + strings.ToUpper(string(statusOf(ns))) + "] " + strconv.Itoa(len(ns)) + " notifications: " + strings.Join(rules, ", ")
	}
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, emailSubjectMax)
}

// EmailBody returns the plain-text body for ns: per notification its
// state and rule, summary, facts, annotations, link and key.
func EmailBody(ns []Notification) string {
	var b strings.Builder
	for i, n := range ns {
		if i > 0 {
			b.WriteString("\n----\n\n")
		}
		b.WriteString("[" + strings.ToUpper(string(n.State)) + "] " + n.Rule + "\n")
		if n.Summary != "" {
			b.WriteString(n.Summary + "\n")
		}
		b.WriteString("\n")
		for _, f := range alertFacts(n) {
			b.WriteString(f.name + ": " + f.value + "\n")
		}
		for _, k := range sortedKeys(n.Annotations) {
			b.WriteString(k + ": " + n.Annotations[k] + "\n")
		}
		if n.URL != "" {
			b.WriteString("Link: " + n.URL + "\n")
		}
		b.WriteString("Key: " + n.Key + "\n")
	}
	return b.String()
}
