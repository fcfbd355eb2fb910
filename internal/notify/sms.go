package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"text/template"
)

// SMSConfig configures SMS delivery through an HTTP API described by
// templates (Twilio, Vonage, MessageBird, an internal gateway, ...).
//
// URL, Body and header values are text/template templates executed with
// SMSData; besides the standard functions, "json" renders a value as a JSON
// literal (use it inside JSON bodies: {"text": {{ json .Message }}}) and
// "urlquery" escapes for form bodies and query strings. Put credentials in
// Token and refer to it as {{ .Token }}, never literally in a template.
type SMSConfig struct {
	// Method is the HTTP method; default POST.
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// URL is the endpoint template.
	URL string `yaml:"url" json:"url"`
	// Headers are header value templates. Without Content-Type, a body
	// starting with { or [ is sent as application/json, any other body as
	// application/x-www-form-urlencoded.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Body is the request body template; empty sends no body.
	Body string `yaml:"body,omitempty" json:"body,omitempty"`
	// Token is the API credential exposed to templates as .Token.
	Token Secret `yaml:"token,omitempty" json:"token,omitempty"`
	// To lists the recipient numbers; one request is sent per recipient.
	To []string `yaml:"to" json:"to"`
	// MaxLength caps .Message in characters; default 1600.
	MaxLength int `yaml:"max_length,omitempty" json:"max_length,omitempty"`
}

// SMSData is what SMS templates see.
type SMSData struct {
	// To is the recipient of this request.
	To string
	// Token is the resolved credential.
	Token string
	// Message is the rendered text: one line per notification, capped at
	// MaxLength.
	Message string
	// Notifications is the batch.
	Notifications []Notification
}

// defaultSMSMaxLength is the longest concatenated SMS most gateways accept.
const defaultSMSMaxLength = 1600

// smsTemplates holds the parsed templates of an SMSConfig.
type smsTemplates struct {
	url     *template.Template
	body    *template.Template
	headers map[string]*template.Template
}

var smsFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}

// parse compiles the templates and returns every problem.
func (c SMSConfig) parse() (smsTemplates, error) {
	var errs []error
	t := smsTemplates{headers: map[string]*template.Template{}}
	var err error
	if strings.TrimSpace(c.URL) == "" {
		errs = append(errs, errors.New("url is required"))
	} else if t.url, err = template.New("url").Funcs(smsFuncs).Option("missingkey=error").Parse(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("url template: %w", err))
	}
	if t.body, err = template.New("body").Funcs(smsFuncs).Option("missingkey=error").Parse(c.Body); err != nil {
		errs = append(errs, fmt.Errorf("body template: %w", err))
	}
	for _, name := range sortedKeys(c.Headers) {
		if !validHeaderName(name) {
			errs = append(errs, fmt.Errorf("headers: invalid header name %q", name))
			continue
		}
		ht, err := template.New(name).Funcs(smsFuncs).Option("missingkey=error").Parse(c.Headers[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("headers.%s template: %w", name, err))
			continue
		}
		t.headers[name] = ht
	}
	return t, errors.Join(errs...)
}

func (c SMSConfig) validate() error {
	var errs []error
	switch strings.ToUpper(c.Method) {
	case "", http.MethodPost, http.MethodPut, http.MethodGet, http.MethodPatch:
	default:
		errs = append(errs, fmt.Errorf("method %q is not GET, POST, PUT or PATCH", c.Method))
	}
	if _, err := c.parse(); err != nil {
		errs = append(errs, err)
	}
	if err := checkRef(c.Token, "token", false); err != nil {
		errs = append(errs, err)
	}
	if len(c.To) == 0 {
		errs = append(errs, errors.New("to needs at least one recipient"))
	}
	for i, to := range c.To {
		if strings.TrimSpace(to) == "" {
			errs = append(errs, fmt.Errorf("to[%d] is empty", i))
		}
	}
	if c.MaxLength < 0 {
		errs = append(errs, errors.New("max_length must not be negative"))
	}
	return errors.Join(errs...)
}

// SMS sends text messages through an HTTP API described by templates.
type SMS struct {
	name    string
	method  string
	tmpl    smsTemplates
	token   Secret
	to      []string
	maxLen  int
	options Options
}

var _ Receiver = (*SMS)(nil)

// NewSMS validates cfg, parses its templates, resolves the token and
// returns the receiver.
func NewSMS(cfg SMSConfig, opts Options) (*SMS, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("sms config: %w", err)
	}
	opts = opts.withDefaults("sms")
	tmpl, _ := cfg.parse() // validated above
	s := &SMS{name: opts.Name, method: strings.ToUpper(cfg.Method), tmpl: tmpl, to: cfg.To, maxLen: cfg.MaxLength, options: opts}
	if s.method == "" {
		s.method = http.MethodPost
	}
	if s.maxLen == 0 {
		s.maxLen = defaultSMSMaxLength
	}
	if cfg.Token != "" {
		tok, err := cfg.Token.Resolve(opts.Secrets)
		if err != nil {
			return nil, fmt.Errorf("sms token: %w", err)
		}
		s.token = tok
	}
	return s, nil
}

// Name returns the receiver name.
func (s *SMS) Name() string { return s.name }

// Notify sends one message per recipient and stops at the first failure.
func (s *SMS) Notify(ctx context.Context, ns []Notification) (bool, error) {
	if len(ns) == 0 {
		return false, nil
	}
	msg := SMSMessage(ns, s.maxLen)
	for _, to := range s.to {
		if retry, err := s.send(ctx, SMSData{To: to, Token: s.token.Reveal(), Message: msg, Notifications: ns}); err != nil {
			return retry, fmt.Errorf("sms to %s: %w", to, err)
		}
	}
	return false, nil
}

// send renders the templates for one recipient and performs the request.
func (s *SMS) send(ctx context.Context, d SMSData) (bool, error) {
	sc := &scrubber{}
	sc.add(d.Token)
	render := func(t *template.Template) (string, error) {
		var b bytes.Buffer
		if err := t.Execute(&b, d); err != nil {
			return "", sc.err(fmt.Errorf("rendering %s template: %w", t.Name(), err))
		}
		return b.String(), nil
	}
	u, err := render(s.tmpl.url)
	if err != nil {
		return false, err
	}
	u = strings.TrimSpace(u)
	sc.addURL(u)
	if err := checkHTTPURL(u, "rendered url"); err != nil {
		return false, err
	}
	body, err := render(s.tmpl.body)
	if err != nil {
		return false, err
	}
	h := http.Header{}
	for name, t := range s.tmpl.headers {
		v, err := render(t)
		if err != nil {
			return false, err
		}
		if !strings.EqualFold(name, "Content-Type") && !strings.EqualFold(name, "Accept") {
			sc.add(v) // Authorization and friends may be derived from the token
		}
		h.Set(name, v)
	}
	if h.Get("Content-Type") == "" && body != "" {
		if b := strings.TrimSpace(body); strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[") {
			h.Set("Content-Type", "application/json")
		} else {
			h.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	hs := httpSender{client: s.options.Client, now: s.options.Now, timeout: s.options.Timeout, scrub: sc}
	return hs.send(ctx, s.method, u, h, []byte(body))
}

// SMSMessage renders ns as SMS text: one "[FIRING] rule (severity):
// summary" line per notification, capped at maxLen characters.
func SMSMessage(ns []Notification, maxLen int) string {
	lines := make([]string, len(ns))
	for i, n := range ns {
		lines[i] = oneLine(n)
	}
	return truncate(strings.Join(lines, "\n"), maxLen)
}
