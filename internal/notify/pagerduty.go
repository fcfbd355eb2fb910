package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultPagerDutyURL is the Events API v2 enqueue endpoint.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// PagerDutyConfig configures PagerDuty Events API v2.
type PagerDutyConfig struct {
	// RoutingKey is the integration key of the service or ruleset.
	RoutingKey Secret `yaml:"routing_key" json:"routing_key"`
	// URL is the events endpoint; default DefaultPagerDutyURL.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Source is payload.source; default "auditlake".
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
}

func (c PagerDutyConfig) validate() error {
	var errs []error
	if err := checkRef(c.RoutingKey, "routing_key", true); err != nil {
		errs = append(errs, err)
	}
	if c.URL != "" {
		if err := checkHTTPURL(c.URL, "url"); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// PagerDutyEvent is one Events API v2 event.
type PagerDutyEvent struct {
	// RoutingKey is the integration key.
	RoutingKey string `json:"routing_key"`
	// EventAction is "trigger" or "resolve".
	EventAction string `json:"event_action"`
	// DedupKey is Notification.Key: the same for trigger and resolve, so
	// PagerDuty resolves the incident it opened and drops repeated triggers.
	DedupKey string `json:"dedup_key"`
	// Payload describes the event.
	Payload PagerDutyPayload `json:"payload"`
	// Client names the sender.
	Client string `json:"client,omitempty"`
	// ClientURL links back to the alert.
	ClientURL string `json:"client_url,omitempty"`
	// Links are extra links shown on the incident.
	Links []PagerDutyLink `json:"links,omitempty"`
}

// PagerDutyPayload is the payload object of an event.
type PagerDutyPayload struct {
	// Summary is the incident title (at most 1024 characters).
	Summary string `json:"summary"`
	// Source is the affected system.
	Source string `json:"source"`
	// Severity is critical, error, warning or info.
	Severity string `json:"severity"`
	// Timestamp is when the alert started (RFC 3339).
	Timestamp string `json:"timestamp,omitempty"`
	// Group is the rule name, for PagerDuty grouping.
	Group string `json:"group,omitempty"`
	// CustomDetails carries labels, annotations and the value.
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// PagerDutyLink is a link shown on the incident.
type PagerDutyLink struct {
	// Href is the URL.
	Href string `json:"href"`
	// Text is the label.
	Text string `json:"text"`
}

// pagerDutySummaryMax is the Events API limit on payload.summary.
const pagerDutySummaryMax = 1024

// PagerDuty sends trigger and resolve events to PagerDuty Events API v2.
type PagerDuty struct {
	name   string
	url    string
	key    Secret
	source string
	http   httpSender
}

var _ Receiver = (*PagerDuty)(nil)

// NewPagerDuty validates cfg, resolves the routing key and returns the
// receiver.
func NewPagerDuty(cfg PagerDutyConfig, opts Options) (*PagerDuty, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("pagerduty config: %w", err)
	}
	opts = opts.withDefaults("pagerduty")
	key, err := cfg.RoutingKey.Resolve(opts.Secrets)
	if err != nil {
		return nil, fmt.Errorf("pagerduty routing_key: %w", err)
	}
	p := &PagerDuty{name: opts.Name, url: cfg.URL, key: key, source: cfg.Source}
	if p.url == "" {
		p.url = DefaultPagerDutyURL
	}
	if p.source == "" {
		p.source = "auditlake"
	}
	sc := &scrubber{}
	sc.add(key.Reveal())
	p.http = httpSender{client: opts.Client, now: opts.Now, timeout: opts.Timeout, scrub: sc}
	return p, nil
}

// Name returns the receiver name.
func (p *PagerDuty) Name() string { return p.name }

// Notify sends one event per notification, in order, and stops at the
// first failure. Retrying the whole batch is safe: PagerDuty deduplicates
// on dedup_key, so a repeated trigger or resolve changes nothing.
func (p *PagerDuty) Notify(ctx context.Context, ns []Notification) (bool, error) {
	for i, n := range ns {
		body, err := json.Marshal(p.event(n))
		if err != nil {
			return false, fmt.Errorf("encoding pagerduty event: %w", err)
		}
		if retry, err := p.http.send(ctx, http.MethodPost, p.url, jsonHeader(), body); err != nil {
			if len(ns) > 1 {
				err = fmt.Errorf("event %d of %d: %w", i+1, len(ns), err)
			}
			return retry, err
		}
	}
	return false, nil
}

// event builds the Events API v2 event for n.
func (p *PagerDuty) event(n Notification) PagerDutyEvent {
	action := "trigger"
	if n.State == StateResolved {
		action = "resolve"
	}
	summary := n.Summary
	if summary == "" {
		summary = n.Rule
	} else if !strings.Contains(summary, n.Rule) {
		summary = n.Rule + ": " + summary
	}
	details := map[string]any{"rule": n.Rule, "value": strconv.FormatFloat(n.Value, 'g', -1, 64), "state": string(n.State)}
	if len(n.Labels) > 0 {
		details["labels"] = n.Labels
	}
	if len(n.Annotations) > 0 {
		details["annotations"] = n.Annotations
	}
	if !n.EndsAt.IsZero() {
		details["ends_at"] = n.EndsAt.UTC().Format(time.RFC3339)
	}
	ev := PagerDutyEvent{
		RoutingKey:  p.key.Reveal(),
		EventAction: action,
		DedupKey:    n.Key,
		Client:      "auditlake",
		ClientURL:   n.URL,
		Payload: PagerDutyPayload{
			Summary:       truncate(summary, pagerDutySummaryMax),
			Source:        p.source,
			Severity:      PagerDutySeverity(n.Severity),
			Group:         n.Rule,
			CustomDetails: details,
		},
	}
	if !n.StartsAt.IsZero() {
		ev.Payload.Timestamp = n.StartsAt.UTC().Format(time.RFC3339)
	}
	if n.URL != "" {
		ev.Links = []PagerDutyLink{{Href: n.URL, Text: "Open in auditlake"}}
	}
	return ev
}

// PagerDutySeverity maps a rule severity onto the four PagerDuty levels:
// critical → critical, high and error → error, medium and warning →
// warning, low and info → info; anything else → error.
func PagerDutySeverity(s string) string {
	switch strings.ToLower(s) {
	case "critical":
		return "critical"
	case "high", "error":
		return "error"
	case "medium", "warning", "warn":
		return "warning"
	case "low", "info":
		return "info"
	default:
		return "error"
	}
}
