package notify

import (
	"errors"
	"net/url"
	"sort"
	"strings"
	"time"
)

// RedactURL returns u with everything but its scheme and host replaced:
// "https://hooks.slack.com/services/T/B/X?token=y" becomes
// "https://hooks.slack.com/<redacted>". Webhook URLs carry their
// credential in the path or query, so only the destination host is safe
// to show. A URL that does not parse becomes "<redacted>".
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return redacted
	}
	out := p.Scheme + "://" + p.Host
	if p.User != nil || (p.Path != "" && p.Path != "/") || p.RawQuery != "" || p.Fragment != "" {
		out += "/" + redacted
	}
	return out
}

// scrubber removes known secret strings from error text.
type scrubber struct {
	secrets []string // longest first
}

// minSecretPart is the shortest URL path segment or query value treated
// as secret by newScrubber; shorter parts ("v2", "api") are not secrets.
const minSecretPart = 8

// add registers a secret value. Empty values are ignored.
func (s *scrubber) add(v string) {
	if v == "" {
		return
	}
	s.secrets = append(s.secrets, v)
	sort.Slice(s.secrets, func(i, j int) bool { return len(s.secrets[i]) > len(s.secrets[j]) })
}

// addURL registers a secret URL and its parts (path, query, long path
// segments, query values, password), so a peer that echoes only part of
// it cannot leak it through an error either.
func (s *scrubber) addURL(u string) {
	s.add(u)
	p, err := url.Parse(u)
	if err != nil {
		return
	}
	if p.Path != "" && p.Path != "/" {
		s.add(p.Path)
		s.add(p.EscapedPath())
	}
	for _, seg := range strings.Split(p.Path, "/") {
		if len(seg) >= minSecretPart {
			s.add(seg)
		}
	}
	s.add(p.RawQuery)
	for _, vs := range p.Query() {
		for _, v := range vs {
			if len(v) >= minSecretPart {
				s.add(v)
			}
		}
	}
	if p.User != nil {
		s.add(p.User.String())
		if pw, ok := p.User.Password(); ok {
			s.add(pw)
		}
	}
}

// text replaces every secret in msg with "<redacted>".
func (s *scrubber) text(msg string) string {
	for _, v := range s.secrets {
		msg = strings.ReplaceAll(msg, v, redacted)
	}
	return msg
}

// err returns err unchanged when its text holds no secret; otherwise an
// error with the scrubbed text that still matches the original chain with
// errors.Is (so context.Canceled stays detectable) but does not unwrap to
// it, because the wrapped errors would print the secret.
func (s *scrubber) err(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := s.text(msg)
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, inner: err}
}

// scrubbedError carries scrubbed text and delegates errors.Is.
type scrubbedError struct {
	msg   string
	inner error
}

// Error returns the scrubbed text.
func (e *scrubbedError) Error() string { return e.msg }

// Is reports whether the original error chain matches target.
func (e *scrubbedError) Is(target error) bool { return errors.Is(e.inner, target) }

// retryAfter exposes the Retry-After hint of the original chain to
// [RetryAfter] without unwrapping to it.
func (e *scrubbedError) retryAfter() (time.Duration, bool) { return RetryAfter(e.inner) }
