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

// Validate reports every problem in c, one per line, each prefixed with
// the group and receiver ("action group oncall: slack[0]: webhook_url is
// required"). It does not resolve secret references.
func (c ActionGroupConfig) Validate() error {
	var errs []error
	add := func(prefix string, err error) {
		errs = append(errs, prefixEach(prefix, err)...)
	}
	if !groupName.MatchString(c.Name) {
		errs = append(errs, fmt.Errorf("name %q must match %s", c.Name, groupName))
	}
	n := 0
	for i, r := range c.Email {
		add(fmt.Sprintf("email[%d]: ", i), r.validate())
		n++
	}
	for i, r := range c.Webhook {
		add(fmt.Sprintf("webhook[%d]: ", i), r.validate())
		n++
	}
	for i, r := range c.Slack {
		add(fmt.Sprintf("slack[%d]: ", i), r.validate())
		n++
	}
	for i, r := range c.Teams {
		add(fmt.Sprintf("teams[%d]: ", i), r.validate())
		n++
	}
	for i, r := range c.PagerDuty {
		add(fmt.Sprintf("pagerduty[%d]: ", i), r.validate())
		n++
	}
	for i, r := range c.SMS {
		add(fmt.Sprintf("sms[%d]: ", i), r.validate())
		n++
	}
	if n == 0 {
		errs = append(errs, errors.New("no receivers configured"))
	}
	return errors.Join(prefixEach("action group "+c.Name+": ", errors.Join(errs...))...)
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
// receivers, named "<group>/<kind>[<index>]". opts.Name is ignored.
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
			errs = append(errs, fmt.Errorf("%s: %w", o.Name, err))
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
