package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SlackConfig configures a Slack incoming webhook.
type SlackConfig struct {
	// WebhookURL is the incoming webhook URL; the URL itself is the
	// credential, so it is a Secret and is redacted in errors.
	WebhookURL Secret `yaml:"webhook_url" json:"webhook_url"`
}

func (c SlackConfig) validate() error {
	var errs []error
	if err := checkRef(c.WebhookURL, "webhook_url", true); err != nil {
		errs = append(errs, err)
	} else if !isRef(c.WebhookURL) {
		u, _ := c.WebhookURL.Resolve(SecretSource{})
		if err := checkHTTPURL(u.Reveal(), "webhook_url"); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SlackMessage is the incoming-webhook payload: a fallback text (shown in
// notifications) and Block Kit blocks.
type SlackMessage struct {
	// Text is the notification fallback.
	Text string `json:"text"`
	// Blocks is the Block Kit layout.
	Blocks []SlackBlock `json:"blocks"`
}

// SlackBlock is one Block Kit block (header, section, context or divider).
type SlackBlock struct {
	// Type is "header", "section", "context" or "divider".
	Type string `json:"type"`
	// Text is the header or section text.
	Text *SlackText `json:"text,omitempty"`
	// Fields are section fields (at most 10).
	Fields []SlackText `json:"fields,omitempty"`
	// Elements are context elements (at most 10).
	Elements []SlackText `json:"elements,omitempty"`
}

// SlackText is a Block Kit text object.
type SlackText struct {
	// Type is "plain_text" or "mrkdwn".
	Type string `json:"type"`
	// Text is the content.
	Text string `json:"text"`
	// Emoji enables emoji shortcodes in plain_text.
	Emoji bool `json:"emoji,omitempty"`
}

// Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
const (
	slackMaxBlocks      = 50
	slackBlocksPerAlert = 4 // header, section, context, divider
	slackHeaderMax      = 150
	slackTextMax        = 3000
	slackFieldMax       = 2000
	slackMaxFields      = 10
)

// Slack posts Block Kit messages to a Slack incoming webhook.
type Slack struct{ urlPoster }

var _ Receiver = (*Slack)(nil)

// NewSlack validates cfg, resolves the webhook URL and returns the receiver.
func NewSlack(cfg SlackConfig, opts Options) (*Slack, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("slack config: %w", err)
	}
	p, err := newURLPoster("slack", cfg.WebhookURL, opts)
	if err != nil {
		return nil, err
	}
	return &Slack{p}, nil
}

// Notify posts one message holding every notification of the batch.
func (s *Slack) Notify(ctx context.Context, ns []Notification) (bool, error) {
	if len(ns) == 0 {
		return false, nil
	}
	return s.post(ctx, SlackPayload(ns))
}

// SlackPayload renders ns as a Slack message. Per notification: a header
// ("🔥 FIRING: rule"), a section with the summary and fields (severity,
// value, times, labels), a context line with the key and link, and a
// divider. Notifications beyond Slack's 50-block limit are counted in a
// closing context block.
func SlackPayload(ns []Notification) SlackMessage {
	msg := SlackMessage{Text: fallbackText(ns)}
	maxAlerts := (slackMaxBlocks - 1) / slackBlocksPerAlert
	for i, n := range ns {
		if i == maxAlerts {
			msg.Blocks = append(msg.Blocks, SlackBlock{Type: "context", Elements: []SlackText{{
				Type: "mrkdwn", Text: fmt.Sprintf("and %d more notifications", len(ns)-i),
			}}})
			break
		}
		if i > 0 {
			msg.Blocks = append(msg.Blocks, SlackBlock{Type: "divider"})
		}
		icon, word := "🔥", "FIRING"
		if n.State == StateResolved {
			icon, word = "✅", "RESOLVED"
		}
		msg.Blocks = append(msg.Blocks, SlackBlock{Type: "header", Text: &SlackText{
			Type: "plain_text", Text: truncate(icon+" "+word+": "+n.Rule, slackHeaderMax), Emoji: true,
		}})
		sec := SlackBlock{Type: "section"}
		if n.Summary != "" {
			sec.Text = &SlackText{Type: "mrkdwn", Text: truncate(slackEscape(n.Summary), slackTextMax)}
		}
		for _, f := range alertFacts(n) {
			if len(sec.Fields) == slackMaxFields {
				break
			}
			sec.Fields = append(sec.Fields, SlackText{
				Type: "mrkdwn", Text: truncate("*"+slackEscape(f.name)+"*\n"+slackEscape(f.value), slackFieldMax),
			})
		}
		if sec.Text == nil && len(sec.Fields) == 0 {
			sec.Text = &SlackText{Type: "mrkdwn", Text: slackEscape(n.Rule)}
		}
		msg.Blocks = append(msg.Blocks, sec)
		ctxBlock := SlackBlock{Type: "context", Elements: []SlackText{{Type: "mrkdwn", Text: "key `" + slackEscape(n.Key) + "`"}}}
		if n.URL != "" {
			ctxBlock.Elements = append(ctxBlock.Elements, SlackText{Type: "mrkdwn", Text: "<" + slackEscape(n.URL) + "|Open in auditlake>"})
		}
		msg.Blocks = append(msg.Blocks, ctxBlock)
	}
	return msg
}

// slackEscape escapes the three characters Slack mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// fact is a name/value pair shown by chat receivers.
type fact struct{ name, value string }

// alertFacts lists what chat receivers show for n: severity, value, start,
// end (when resolved), then labels in key order.
func alertFacts(n Notification) []fact {
	fs := []fact{
		{"Severity", n.Severity},
		{"Value", strconv.FormatFloat(n.Value, 'g', -1, 64)},
		{"Started", n.StartsAt.UTC().Format(time.RFC3339)},
	}
	if n.State == StateResolved && !n.EndsAt.IsZero() {
		fs = append(fs, fact{"Ended", n.EndsAt.UTC().Format(time.RFC3339)})
	}
	for _, k := range sortedKeys(n.Labels) {
		fs = append(fs, fact{k, n.Labels[k]})
	}
	return fs
}

// fallbackText is a one-line plain text rendering of a batch.
func fallbackText(ns []Notification) string {
	if len(ns) == 1 {
		return oneLine(ns[0])
	}
	return fmt.Sprintf("%d notifications: %s", len(ns), oneLine(ns[0]))
}

// oneLine renders "[FIRING] rule (severity): summary".
func oneLine(n Notification) string {
	s := "[" + strings.ToUpper(string(n.State)) + "] " + n.Rule
	if n.Severity != "" {
		s += " (" + n.Severity + ")"
	}
	if n.Summary != "" {
		s += ": " + n.Summary
	}
	return s
}
