package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Header names and payload version of the generic webhook.
const (
	// HeaderSignature carries "sha256=<hex HMAC-SHA256>" over
	// "<timestamp>.<body>" keyed with the signing secret.
	HeaderSignature = "X-Auditlake-Signature"
	// HeaderTimestamp carries the send time in Unix seconds; it is part of
	// the signed content so a captured request cannot be replayed later
	// with a fresh timestamp.
	HeaderTimestamp = "X-Auditlake-Timestamp"
	// HeaderIdempotencyKey carries a key that is the same for every attempt
	// of the same batch, so the peer can drop duplicates after a restart.
	HeaderIdempotencyKey = "Idempotency-Key"
	// WebhookVersion is the version field of WebhookMessage.
	WebhookVersion = "1"
)

// WebhookConfig configures a generic JSON webhook.
type WebhookConfig struct {
	// URL is the endpoint; a secret because many endpoints embed a token.
	URL Secret `yaml:"url" json:"url"`
	// SigningSecret keys the HMAC-SHA256 signature header; optional.
	SigningSecret Secret `yaml:"signing_secret,omitempty" json:"signing_secret,omitempty"`
	// Headers are extra request headers (e.g. Authorization); values are
	// secrets and may be env: or file: references.
	Headers map[string]Secret `yaml:"headers,omitempty" json:"headers,omitempty"`
}

// reservedHeaders are set by the webhook itself and cannot be configured.
var reservedHeaders = []string{"Content-Type", "Content-Length", "Host", HeaderSignature, HeaderTimestamp, HeaderIdempotencyKey}

func (c WebhookConfig) validate() error {
	var errs []error
	if err := checkRef(c.URL, "url", true); err != nil {
		errs = append(errs, err)
	} else if !isRef(c.URL) {
		u, _ := c.URL.Resolve(SecretSource{})
		if err := checkHTTPURL(u.Reveal(), "url"); err != nil {
			errs = append(errs, err)
		}
	}
	if err := checkRef(c.SigningSecret, "signing_secret", false); err != nil {
		errs = append(errs, err)
	}
	for _, name := range sortedKeys(c.Headers) {
		if !validHeaderName(name) {
			errs = append(errs, fmt.Errorf("headers: invalid header name %q", name))
			continue
		}
		for _, r := range reservedHeaders {
			if strings.EqualFold(name, r) {
				errs = append(errs, fmt.Errorf("headers: %s is set by the receiver", name))
			}
		}
		if err := checkRef(c.Headers[name], "headers."+name, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// validHeaderName reports whether name is a non-empty HTTP token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// WebhookMessage is the JSON body the generic webhook posts.
type WebhookMessage struct {
	// Version is WebhookVersion.
	Version string `json:"version"`
	// Receiver is the receiver name.
	Receiver string `json:"receiver"`
	// Status is firing if any notification fires, else resolved.
	Status State `json:"status"`
	// Notifications are the batch, in order.
	Notifications []WebhookNotification `json:"notifications"`
}

// WebhookNotification is a Notification with its idempotency key.
type WebhookNotification struct {
	// Notification is flattened into the JSON object.
	Notification
	// IdempotencyKey is Notification.IdempotencyKey().
	IdempotencyKey string `json:"idempotency_key"`
}

// Webhook posts notifications as JSON to an HTTP endpoint, optionally
// signed with HMAC-SHA256.
type Webhook struct {
	name    string
	url     string
	signing []byte
	headers http.Header
	http    httpSender
}

var _ Receiver = (*Webhook)(nil)

// NewWebhook validates cfg, resolves its secrets and returns the receiver.
func NewWebhook(cfg WebhookConfig, opts Options) (*Webhook, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("webhook config: %w", err)
	}
	opts = opts.withDefaults("webhook")
	sc := &scrubber{}
	u, err := cfg.URL.Resolve(opts.Secrets)
	if err != nil {
		return nil, fmt.Errorf("webhook url: %w", err)
	}
	if err := checkHTTPURL(u.Reveal(), "url"); err != nil {
		return nil, fmt.Errorf("webhook config: %w", err)
	}
	sc.addURL(u.Reveal())
	w := &Webhook{name: opts.Name, url: u.Reveal(), headers: http.Header{}}
	if cfg.SigningSecret != "" {
		s, err := cfg.SigningSecret.Resolve(opts.Secrets)
		if err != nil {
			return nil, fmt.Errorf("webhook signing_secret: %w", err)
		}
		sc.add(s.Reveal())
		w.signing = []byte(s.Reveal())
	}
	for _, name := range sortedKeys(cfg.Headers) {
		v, err := cfg.Headers[name].Resolve(opts.Secrets)
		if err != nil {
			return nil, fmt.Errorf("webhook header %s: %w", name, err)
		}
		sc.add(v.Reveal())
		w.headers.Set(name, v.Reveal())
	}
	w.http = httpSender{client: opts.Client, now: opts.Now, timeout: opts.Timeout, scrub: sc}
	return w, nil
}

// Name returns the receiver name.
func (w *Webhook) Name() string { return w.name }

// Notify posts ns as one WebhookMessage.
func (w *Webhook) Notify(ctx context.Context, ns []Notification) (bool, error) {
	if len(ns) == 0 {
		return false, nil
	}
	msg := WebhookMessage{Version: WebhookVersion, Receiver: w.name, Status: statusOf(ns)}
	for _, n := range ns {
		k := n.IdempotencyKey()
		msg.Notifications = append(msg.Notifications, WebhookNotification{Notification: n, IdempotencyKey: k})
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return false, fmt.Errorf("encoding webhook message: %w", err)
	}
	h := jsonHeader()
	for k, vs := range w.headers {
		h[k] = vs
	}
	ts := strconv.FormatInt(w.http.now().Unix(), 10)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderIdempotencyKey, batchKey(ctx, ns))
	if w.signing != nil {
		h.Set(HeaderSignature, SignWebhook(w.signing, ts, body))
	}
	return w.http.send(ctx, http.MethodPost, w.url, h, body)
}

// SignWebhook returns the HeaderSignature value for body sent at timestamp
// (Unix seconds, as in HeaderTimestamp): "sha256=" followed by the hex
// HMAC-SHA256 of "<timestamp>.<body>" keyed with secret.
func SignWebhook(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook reports whether signature (a HeaderSignature value) matches
// body and timestamp under secret, in constant time. Peers should also
// reject timestamps far from their clock.
func VerifyWebhook(secret []byte, timestamp string, body []byte, signature string) bool {
	return hmac.Equal([]byte(SignWebhook(secret, timestamp, body)), []byte(signature))
}
