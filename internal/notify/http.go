package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// userAgent is sent with every HTTP notification.
const userAgent = "auditlake-notify/1"

// StatusError reports an HTTP response outside 2xx. Body is a short,
// secret-scrubbed excerpt of the response for diagnosis.
type StatusError struct {
	// StatusCode is the HTTP status code.
	StatusCode int
	// Body is at most errBodyLimit characters of the response body.
	Body string
	// RetryAfter is the parsed Retry-After header; zero when absent.
	RetryAfter time.Duration
}

// Error renders "status 503 Service Unavailable: body".
func (e *StatusError) Error() string {
	msg := "status " + strconv.Itoa(e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		msg += " " + t
	}
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Retryable reports whether the status is worth retrying: 5xx and 429.
func (e *StatusError) Retryable() bool { return retryableStatus(e.StatusCode) }

// retryableStatus reports whether an HTTP status is transient.
func retryableStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests
}

// RetryAfter returns the delay a peer asked for (HTTP Retry-After on a 429
// or 5xx response), if err carries one. The outbox uses it as the minimum
// backoff for the next attempt.
func RetryAfter(err error) (time.Duration, bool) {
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > 0 {
		return se.RetryAfter, true
	}
	var sc *scrubbedError
	if errors.As(err, &sc) {
		return sc.retryAfter()
	}
	return 0, false
}

// errBodyLimit caps the response excerpt kept in a StatusError.
const errBodyLimit = 200

// httpSender posts payloads and classifies the outcome.
type httpSender struct {
	client  *http.Client
	now     func() time.Time
	timeout time.Duration // per attempt, on top of any ctx deadline
	scrub   *scrubber
}

// send performs one request and classifies the result. rawURL may hold a
// secret: it is shown only through RedactURL, and every returned error goes
// through the scrubber.
func (s *httpSender) send(ctx context.Context, method, rawURL string, header http.Header, body []byte) (bool, error) {
	retry, err := s.sendRaw(ctx, method, rawURL, header, body)
	return retry, s.scrub.err(err)
}

func (s *httpSender) sendRaw(ctx context.Context, method, rawURL string, header http.Header, body []byte) (bool, error) {
	if s.timeout > 0 {
		// Bound the attempt through ctx, not only the client, so a caller's
		// own *http.Client is bounded too and timeouts read as
		// context.DeadlineExceeded.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	dest := RedactURL(rawURL)
	req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("building request to %s: %w", dest, stripURL(err))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		// Cancellation, deadlines, client timeouts, refused connections,
		// DNS and TLS trouble: all transient from the outbox's view.
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w: %w", ctxErr, stripURL(err))
		} else {
			err = stripURL(err)
		}
		return true, fmt.Errorf("sending to %s: %w", dest, err)
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 4*errBodyLimit))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // allow connection reuse
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	se := &StatusError{
		StatusCode: resp.StatusCode,
		Body:       cleanBody(s.scrub.text(string(excerpt))),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), s.now()),
	}
	return se.Retryable(), fmt.Errorf("sending to %s: %w", dest, se)
}

// stripURL drops the URL from a *url.Error (it may carry a secret) and
// keeps the operation and cause.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: ue.Err}
	}
	return err
}

// cleanBody makes a response excerpt printable on one line and short.
func cleanBody(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	return truncate(strings.Join(strings.Fields(s), " "), errBodyLimit)
}

// parseRetryAfter reads delay-seconds or an HTTP date; zero when absent or
// malformed.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// jsonHeader is the header set for a JSON POST.
func jsonHeader() http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return h
}

// checkHTTPURL validates a URL literal. The message never includes the URL:
// field names the config key.
func checkHTTPURL(raw, field string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s is not a valid URL", field)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s must be an http or https URL", field)
	}
	if u.Host == "" {
		return fmt.Errorf("%s has no host", field)
	}
	return nil
}

// urlPoster posts JSON to a webhook URL that is itself a secret (Slack, Teams): the URL is
// resolved once and scrubbed from every error.
type urlPoster struct {
	kind string
	name string
	url  string
	http httpSender
}

func newURLPoster(kind string, webhookURL Secret, opts Options) (urlPoster, error) {
	opts = opts.withDefaults(kind)
	u, err := webhookURL.Resolve(opts.Secrets)
	if err != nil {
		return urlPoster{}, fmt.Errorf("%s webhook_url: %w", kind, err)
	}
	if err := checkHTTPURL(u.Reveal(), "webhook_url"); err != nil {
		return urlPoster{}, fmt.Errorf("%s config: %w", kind, err)
	}
	sc := &scrubber{}
	sc.addURL(u.Reveal())
	return urlPoster{kind: kind, name: opts.Name, url: u.Reveal(),
		http: httpSender{client: opts.Client, now: opts.Now, timeout: opts.Timeout, scrub: sc}}, nil
}

// Name returns the receiver name.
func (p *urlPoster) Name() string { return p.name }

func (p *urlPoster) post(ctx context.Context, payload any) (bool, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return false, fmt.Errorf("encoding %s message: %w", p.kind, err)
	}
	return p.http.send(ctx, http.MethodPost, p.url, jsonHeader(), body)
}
