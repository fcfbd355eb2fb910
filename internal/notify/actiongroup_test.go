package notify_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/notify/notifytest"
)

func TestActionGroupValidateReportsEverything(t *testing.T) {
	err := notify.ValidateActionGroups([]notify.ActionGroupConfig{
		{
			Name:      "oncall",
			Slack:     []notify.SlackConfig{{}},
			Teams:     []notify.TeamsConfig{{WebhookURL: "not-a-url"}},
			PagerDuty: []notify.PagerDutyConfig{{RoutingKey: "env:", URL: "ftp://x"}},
			Email:     []notify.EmailConfig{{Smarthost: "mail:25", From: "a@example.com", To: []string{"b@example.com"}}},
		},
		{Name: "oncall", Webhook: []notify.WebhookConfig{{URL: "https://example.com/hook"}}},
		{Name: "bad name"},
	})
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	require.ElementsMatch(t, []string{
		"action group oncall: slack[0]: webhook_url is required",
		"action group oncall: teams[0]: webhook_url must be an http or https URL",
		"action group oncall: pagerduty[0]: routing_key: env: reference needs a variable name",
		"action group oncall: pagerduty[0]: url must be an http or https URL",
		"action group oncall: duplicate name",
		`action group bad name: name "bad name" must match ^[A-Za-z0-9][A-Za-z0-9_.-]*$`,
		"action group bad name: no receivers configured",
	}, lines)
}

func TestNewActionGroup(t *testing.T) {
	rs, err := notify.NewActionGroup(notify.ActionGroupConfig{
		Name:      "secops",
		Email:     []notify.EmailConfig{{Smarthost: "mail.example.com:587", From: "a@example.com", To: []string{"b@example.com"}}},
		Webhook:   []notify.WebhookConfig{{URL: "https://example.com/a"}, {URL: "https://example.com/b"}},
		Slack:     []notify.SlackConfig{{WebhookURL: "https://hooks.slack.com/services/x"}},
		Teams:     []notify.TeamsConfig{{WebhookURL: "https://example.logic.azure.com/wf"}},
		PagerDuty: []notify.PagerDutyConfig{{RoutingKey: notifytest.Secret}},
		SMS:       []notify.SMSConfig{{URL: "https://sms.example.com/send", To: []string{"+1555"}}},
	}, notify.Options{})
	require.NoError(t, err)
	var names []string
	for _, r := range rs {
		names = append(names, r.Name())
	}
	require.Equal(t, []string{"secops/email[0]", "secops/webhook[0]", "secops/webhook[1]", "secops/slack[0]", "secops/teams[0]", "secops/pagerduty[0]", "secops/sms[0]"}, names)

	_, err = notify.NewActionGroup(notify.ActionGroupConfig{Name: "x", Slack: []notify.SlackConfig{{WebhookURL: "env:NT_UNSET_FOR_TEST"}}}, notify.Options{
		Secrets: notify.SecretSource{LookupEnv: func(string) (string, bool) { return "", false }},
	})
	require.ErrorContains(t, err, "x/slack[0]: slack webhook_url: environment variable NT_UNSET_FOR_TEST not set")
}
