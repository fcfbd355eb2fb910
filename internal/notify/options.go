package notify

import (
	"crypto/tls"
	"net/http"
	"time"
)

// DefaultTimeout bounds one delivery attempt when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Options are the runtime dependencies shared by every receiver
// constructor. The zero value is ready to use.
type Options struct {
	// Name identifies the receiver in logs and history; default is the
	// receiver kind ("webhook", "slack", ...). NewActionGroup sets
	// "<group>/<kind>[<index>]".
	Name string
	// Client sends HTTP requests; default is a client with Timeout that
	// does not follow redirects (a redirect is reported as a permanent
	// failure rather than silently turning a POST into a GET).
	Client *http.Client
	// Timeout bounds one attempt (every HTTP request, including through a
	// caller's Client, and the whole SMTP conversation); default
	// DefaultTimeout. A deadline on the Notify context also applies.
	Timeout time.Duration
	// Now returns the current time (signature timestamps, email Date);
	// default time.Now.
	Now func() time.Time
	// Secrets resolves env: and file: references; the zero value reads the
	// process environment and the file system.
	Secrets SecretSource
	// TLSConfig is used for SMTP STARTTLS; default verifies the server
	// certificate against the system roots for the smarthost's host name.
	TLSConfig *tls.Config
}

// withDefaults returns o with zero fields defaulted; kind names the receiver.
func (o Options) withDefaults(kind string) Options {
	if o.Name == "" {
		o.Name = kind
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Client == nil {
		o.Client = &http.Client{
			Timeout: o.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
