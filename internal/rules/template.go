package rules

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/template"
)

// TemplateData is what label and annotation templates see: {{ .Labels.email }}, {{ .Value }},
// {{ .Params.business_hours_start }}.
type TemplateData struct {
	Labels map[string]string // the series' labels, one per split_by column
	Value  float64           // the series' measured value
	Params map[string]any    // the rule's parameters after overrides
}

// parseTemplate parses one label or annotation template and runs it once on empty data, so a
// reference to an unknown field ({{ .Lables.x }}) is a load error and not an alert-time one.
func parseTemplate(name, text string) (t *template.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("bad template: %v", r)
		}
	}()
	t, err = template.New(name).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("bad template: %s", trimTemplateErr(err))
	}
	if err := t.Execute(io.Discard, TemplateData{Labels: map[string]string{}, Params: map[string]any{}}); err != nil {
		return nil, fmt.Errorf("bad template: %s", trimTemplateErr(err))
	}
	return t, nil
}

// trimTemplateErr drops text/template's "template: name:1:" prefix; the loader adds its own.
func trimTemplateErr(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template: ")
	if i := strings.Index(msg, ": "); i >= 0 && strings.Contains(msg[:i], ":") {
		msg = msg[i+2:]
	}
	return msg
}

// render expands a rule's label or annotation templates for one series. Templates missing from
// tmpls (a Rule built by hand) are parsed here. A template that fails renders as
// "<error expanding template: ...>", as Prometheus does, so one bad value cannot drop an alert.
func render(texts map[string]string, tmpls map[string]*template.Template, data TemplateData) map[string]string {
	if len(texts) == 0 {
		return nil
	}
	out := make(map[string]string, len(texts))
	for name, text := range texts {
		t := tmpls[name]
		if t == nil {
			var err error
			if t, err = parseTemplate(name, text); err != nil {
				out[name] = "<error expanding template: " + err.Error() + ">"
				continue
			}
		}
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			out[name] = "<error expanding template: " + trimTemplateErr(err) + ">"
			continue
		}
		out[name] = b.String()
	}
	return out
}

// formatValue renders a measured value the shortest way that round-trips: 12, 0.5, 1e+21.
func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
