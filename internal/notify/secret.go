package notify

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// redacted is what a Secret prints as.
const redacted = "<redacted>"

// Secret is a credential as written in configuration: a reference
// "env:NAME" (environment variable), "file:/path" (file contents, trailing
// newline trimmed), "literal:VALUE", or any other string taken literally.
//
// Secret never prints its value: String, Format (every fmt verb),
// MarshalJSON and MarshalText (used by YAML encoders) all produce
// "<redacted>" (an empty Secret prints as ""). Use [Secret.Resolve] to
// follow a reference and [Secret.Reveal] only where the value is sent to
// its peer.
type Secret string

// String returns "<redacted>", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the quoted redacted form, so %#v never leaks.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.String()) }

// Format writes the redacted form for every verb.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		_, _ = fmt.Fprintf(f, "%q", s.String())
	default:
		_, _ = io.WriteString(f, s.String())
	}
}

// MarshalJSON encodes the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, "%q", s.String()), nil
}

// MarshalText encodes the redacted form (YAML and other text encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the raw value. Call it only to send the value to its peer.
func (s Secret) Reveal() string { return string(s) }

// ErrSecretUnresolved reports a secret reference that cannot be resolved.
var ErrSecretUnresolved = errors.New("notify: secret reference unresolved")

// SecretSource resolves secret references. The zero value reads the process
// environment and the file system.
type SecretSource struct {
	// LookupEnv looks up an environment variable; default os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// ReadFile reads a file; default os.ReadFile.
	ReadFile func(path string) ([]byte, error)
}

// Resolve follows the reference in s and returns the value, still wrapped
// as a Secret. Errors name the variable or file, never the value.
func (s Secret) Resolve(src SecretSource) (Secret, error) {
	raw := string(s)
	switch {
	case strings.HasPrefix(raw, "env:"):
		name := strings.TrimPrefix(raw, "env:")
		lookup := src.LookupEnv
		if lookup == nil {
			lookup = os.LookupEnv
		}
		v, ok := lookup(name)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s not set: %w", name, ErrSecretUnresolved)
		}
		return Secret(v), nil
	case strings.HasPrefix(raw, "file:"):
		path := strings.TrimPrefix(raw, "file:")
		read := src.ReadFile
		if read == nil {
			read = os.ReadFile
		}
		b, err := read(path)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is already in our message
			}
			return "", fmt.Errorf("reading secret file %s: %w: %w", path, ErrSecretUnresolved, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("secret file %s is empty: %w", path, ErrSecretUnresolved)
		}
		return Secret(v), nil
	case strings.HasPrefix(raw, "literal:"):
		return Secret(strings.TrimPrefix(raw, "literal:")), nil
	default:
		return s, nil
	}
}

// checkRef validates the syntax of a secret reference without resolving
// it; field names the config key. required reports an empty value.
func checkRef(s Secret, field string, required bool) error {
	raw := string(s)
	switch {
	case raw == "":
		if required {
			return fmt.Errorf("%s is required", field)
		}
	case raw == "env:":
		return fmt.Errorf("%s: env: reference needs a variable name", field)
	case raw == "file:":
		return fmt.Errorf("%s: file: reference needs a path", field)
	}
	return nil
}

// isRef reports whether s is an env: or file: reference (its value is only
// known after resolution).
func isRef(s Secret) bool {
	return strings.HasPrefix(string(s), "env:") || strings.HasPrefix(string(s), "file:")
}
