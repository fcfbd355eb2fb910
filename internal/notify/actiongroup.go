package notify

import (
	"errors"
	"fmt"
	"regexp"
)

// ActionGroupConfig is one named action group: the receivers a rule
// notifies when it names the group. Keys follow the config file
// (snake_case); each list may hold several receivers of a kind.
type ActionGroupConfig struct {
	// Name is what rules refer to in their action groups.
	Name string `yaml:"name" json:"name"`
	// Email lists SMTP receivers.
	Email []EmailConfig `yaml:"email,omitempty" json:"email,omitempty"`
	// Webhook lists generic webhook receivers.
	Webhook []WebhookConfig `yaml:"webhook,omitempty" json:"webhook,omitempty"`
	// Slack lists Slack incoming webhooks.
	Slack []SlackConfig `yaml:"slack,omitempty" json:"slack,omitempty"`
	// Teams lists Microsoft Teams workflow webhooks.
	Teams []TeamsConfig `yaml:"teams,omitempty" json:"teams,omitempty"`
	// PagerDuty lists PagerDuty Events v2 integrations.
	PagerDuty []PagerDutyConfig `yaml:"pagerduty,omitempty" json:"pagerduty,omitempty"`
	// SMS lists HTTP SMS gateways.
	SMS []SMSConfig `yaml:"sms,omitempty" json:"sms,omitempty"`
}

// groupName restricts names so receiver names stay readable in logs.
var groupName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// ReceiverError is one problem with one receiver of an action group (or, with Kind empty,
// with the group itself): a validation failure or a secret that does not resolve. It says
// which list entry is at fault so that app can point at its line in the configuration file.
type ReceiverError struct {
	Group string // the group's name
	Kind  string // email, webhook, slack, teams, pagerduty or sms; empty for the group
	Index int    // position in the kind's list
	Err   error
}

// Receiver returns the receiver's name, "<group>/<kind>[<index>]", or "" for the group.
func (e *ReceiverError) Receiver() string {
	if e.Kind == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s[%d]", e.Group, e.Kind, e.Index)
}

// Error renders "action group G: kind[i]: msg".
func (e *ReceiverError) Error() string {
	if e.Kind == "" {
		return fmt.Sprintf("action group %s: %v", e.Group, e.Err)
	}
	return fmt.Sprintf("action group %s: %s[%d]: %v", e.Group, e.Kind, e.Index, e.Err)
}

// Unwrap returns the cause.
func (e *ReceiverError) Unwrap() error { return e.Err }

// Problems returns every problem in c, one *ReceiverError per problem. It does not resolve
// secret references.
func (c ActionGroupConfig) Problems() []*ReceiverError {
	var out []*ReceiverError
	add := func(kind string, i int, err error) {
		for _, e := range prefixEach("", err) {
			out = append(out, &ReceiverError{Group: c.Name, Kind: kind, Index: i, Err: errors.Unwrap(e)})
		}
	}
	if !groupName.MatchString(c.Name) {
		add("", 0, fmt.Errorf("name %q must match %s", c.Name, groupName))
	}
	n := 0
	for i, r := range c.Email {
		add("email", i, r.validate())
		n++
	}
	for i, r := range c.Webhook {
		add("webhook", i, r.validate())
		n++
	}
	for i, r := range c.Slack {
		add("slack", i, r.validate())
		n++
	}
	for i, r := range c.Teams {
		add("teams", i, r.validate())
		n++
	}
	for i, r := range c.PagerDuty {
		add("pagerduty", i, r.validate())
		n++
	}
	for i, r := range c.SMS {
		add("sms", i, r.validate())
		n++
	}
	if n == 0 {
		add("", 0, errors.New("no receivers configured"))
	}
	return out
}

// Validate reports every problem in c, one per line, each prefixed with
// the group and receiver ("action group oncall: slack[0]: webhook_url is
// required"). It does not resolve secret references.
func (c ActionGroupConfig) Validate() error {
	var errs []error
	for _, p := range c.Problems() {
		errs = append(errs, p)
	}
	return errors.Join(errs...)
}

// ValidateActionGroups validates every group and checks names are unique.
func ValidateActionGroups(groups []ActionGroupConfig) error {
	var errs []error
	seen := map[string]bool{}
	for _, g := range groups {
		if seen[g.Name] {
			errs = append(errs, fmt.Errorf("action group %s: duplicate name", g.Name))
		}
		seen[g.Name] = true
		if err := g.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// NewActionGroup validates cfg, resolves its secrets and builds its
// receivers, named "<group>/<kind>[<index>]". opts.Name is ignored. Every
// problem is a *ReceiverError (joined with errors.Join).
func NewActionGroup(cfg ActionGroupConfig, opts Options) ([]Receiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var (
		rs   []Receiver
		errs []error
	)
	build := func(kind string, i int, f func(Options) (Receiver, error)) {
		o := opts
		o.Name = fmt.Sprintf("%s/%s[%d]", cfg.Name, kind, i)
		r, err := f(o)
		if err != nil {
			errs = append(errs, &buildError{ReceiverError{Group: cfg.Name, Kind: kind, Index: i, Err: err}})
			return
		}
		rs = append(rs, r)
	}
	for i, c := range cfg.Email {
		build("email", i, func(o Options) (Receiver, error) { return NewEmail(c, o) })
	}
	for i, c := range cfg.Webhook {
		build("webhook", i, func(o Options) (Receiver, error) { return NewWebhook(c, o) })
	}
	for i, c := range cfg.Slack {
		build("slack", i, func(o Options) (Receiver, error) { return NewSlack(c, o) })
	}
	for i, c := range cfg.Teams {
		build("teams", i, func(o Options) (Receiver, error) { return NewTeams(c, o) })
	}
	for i, c := range cfg.PagerDuty {
		build("pagerduty", i, func(o Options) (Receiver, error) { return NewPagerDuty(c, o) })
	}
	for i, c := range cfg.SMS {
		build("sms", i, func(o Options) (Receiver, error) { return NewSMS(c, o) })
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rs, nil
}

// buildError is a ReceiverError from building a receiver, rendered
// "<group>/<kind>[<index>]: msg".
type buildError struct{ ReceiverError }

func (e *buildError) Error() string { return e.Receiver() + ": " + e.Err.Error() }

// Unwrap returns the ReceiverError, so errors.As finds it.
func (e *buildError) Unwrap() error { return &e.ReceiverError }

// prefixEach flattens joined errors and prefixes each one.
func prefixEach(prefix string, err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, prefixEach(prefix, e)...)
		}
		return out
	}
	return []error{fmt.Errorf("%s%w", prefix, err)}
}
