package notify

import (
	"context"
	"errors"
	"fmt"
)

// TeamsConfig configures a Microsoft Teams workflow webhook ("Post to a
// channel when a webhook request is received").
type TeamsConfig struct {
	// WebhookURL is the workflow URL; it embeds a signature, so it is a
	// Secret and is redacted in errors.
	WebhookURL Secret `yaml:"webhook_url" json:"webhook_url"`
}

func (c TeamsConfig) validate() error {
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

// Adaptive Card constants for the Teams envelope.
const (
	// AdaptiveCardContentType is the attachment content type Teams expects.
	AdaptiveCardContentType = "application/vnd.microsoft.card.adaptive"
	// AdaptiveCardVersion is the card schema version sent (Teams supports 1.4
	// on every client).
	AdaptiveCardVersion = "1.4"
	adaptiveCardSchema  = "http://adaptivecards.io/schemas/adaptive-card.json"
	teamsMaxAlerts      = 20 // keeps the message well under Teams' 28 KB limit
)

// TeamsMessage is the workflow webhook envelope: a message with one
// Adaptive Card attachment.
type TeamsMessage struct {
	// Type is "message".
	Type string `json:"type"`
	// Attachments holds the card.
	Attachments []TeamsAttachment `json:"attachments"`
}

// TeamsAttachment wraps an Adaptive Card.
type TeamsAttachment struct {
	// ContentType is AdaptiveCardContentType.
	ContentType string `json:"contentType"`
	// ContentURL is always null for inline cards.
	ContentURL *string `json:"contentUrl"`
	// Content is the card.
	Content AdaptiveCard `json:"content"`
}

// AdaptiveCard is an Adaptive Card (subset used by the Teams receiver).
type AdaptiveCard struct {
	// Schema is the card JSON schema URL.
	Schema string `json:"$schema"`
	// Type is "AdaptiveCard".
	Type string `json:"type"`
	// Version is AdaptiveCardVersion.
	Version string `json:"version"`
	// Body holds the card elements.
	Body []CardElement `json:"body"`
	// MSTeams holds Teams rendering hints ({"width": "Full"}).
	MSTeams map[string]string `json:"msteams,omitempty"`
}

// CardElement is a TextBlock, FactSet or ActionSet.
type CardElement struct {
	// Type is "TextBlock", "FactSet" or "ActionSet".
	Type string `json:"type"`
	// Text is the TextBlock text.
	Text string `json:"text,omitempty"`
	// Size is the TextBlock size ("Large").
	Size string `json:"size,omitempty"`
	// Weight is the TextBlock weight ("Bolder").
	Weight string `json:"weight,omitempty"`
	// Color is the TextBlock color ("Attention", "Good").
	Color string `json:"color,omitempty"`
	// Wrap lets a TextBlock wrap.
	Wrap bool `json:"wrap,omitempty"`
	// Separator draws a line above the element.
	Separator bool `json:"separator,omitempty"`
	// Facts are the FactSet rows.
	Facts []CardFact `json:"facts,omitempty"`
	// Actions are the ActionSet actions.
	Actions []CardAction `json:"actions,omitempty"`
}

// CardFact is one FactSet row.
type CardFact struct {
	// Title is the fact name.
	Title string `json:"title"`
	// Value is the fact value.
	Value string `json:"value"`
}

// CardAction is an Action.OpenUrl.
type CardAction struct {
	// Type is "Action.OpenUrl".
	Type string `json:"type"`
	// Title is the button label.
	Title string `json:"title"`
	// URL is the link.
	URL string `json:"url"`
}

// Teams posts Adaptive Cards to a Teams workflow webhook.
type Teams struct{ urlPoster }

var _ Receiver = (*Teams)(nil)

// NewTeams validates cfg, resolves the webhook URL and returns the receiver.
func NewTeams(cfg TeamsConfig, opts Options) (*Teams, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("teams config: %w", err)
	}
	p, err := newURLPoster("teams", cfg.WebhookURL, opts)
	if err != nil {
		return nil, err
	}
	return &Teams{p}, nil
}

// Notify posts one card holding every notification of the batch.
func (t *Teams) Notify(ctx context.Context, ns []Notification) (bool, error) {
	if len(ns) == 0 {
		return false, nil
	}
	return t.post(ctx, TeamsPayload(ns))
}

// TeamsPayload renders ns as a workflow webhook message with one Adaptive
// Card 1.4: per notification a title, the summary, a fact set and an
// "Open in auditlake" button when the notification has a URL.
func TeamsPayload(ns []Notification) TeamsMessage {
	card := AdaptiveCard{
		Schema:  adaptiveCardSchema,
		Type:    "AdaptiveCard",
		Version: AdaptiveCardVersion,
		MSTeams: map[string]string{"width": "Full"},
	}
	for i, n := range ns {
		if i == teamsMaxAlerts {
			card.Body = append(card.Body, CardElement{Type: "TextBlock", Text: fmt.Sprintf("and %d more notifications", len(ns)-i), Wrap: true, Separator: true})
			break
		}
		color, word := "Attention", "FIRING"
		if n.State == StateResolved {
			color, word = "Good", "RESOLVED"
		}
		card.Body = append(card.Body, CardElement{
			Type: "TextBlock", Text: word + ": " + n.Rule, Size: "Large", Weight: "Bolder",
			Color: color, Wrap: true, Separator: i > 0,
		})
		if n.Summary != "" {
			card.Body = append(card.Body, CardElement{Type: "TextBlock", Text: n.Summary, Wrap: true})
		}
		fs := CardElement{Type: "FactSet"}
		for _, f := range alertFacts(n) {
			fs.Facts = append(fs.Facts, CardFact{Title: f.name, Value: f.value})
		}
		fs.Facts = append(fs.Facts, CardFact{Title: "Key", Value: n.Key})
		card.Body = append(card.Body, fs)
		if n.URL != "" {
			card.Body = append(card.Body, CardElement{Type: "ActionSet", Actions: []CardAction{{Type: "Action.OpenUrl", Title: "Open in auditlake", URL: n.URL}}})
		}
	}
	return TeamsMessage{Type: "message", Attachments: []TeamsAttachment{{ContentType: AdaptiveCardContentType, Content: card}}}
}
