package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/auditlake/auditlake/internal/config"
	"github.com/auditlake/auditlake/internal/notify"
	"github.com/auditlake/auditlake/internal/rules"
	"github.com/auditlake/auditlake/internal/store"
)

// DefaultActionGroup is the action group that receives the alerts of rules that name none
// (the built-in pack's, unless a rule file overrides them), when the configuration has a group
// of that name.
const DefaultActionGroup = "default"

// FlushWait bounds how long a one-shot evaluation (alerts run --once) keeps retrying its
// notifications before it exits; what is still pending is sent by the next run.
const FlushWait = 30 * time.Second

// NotifyOptions are the runtime dependencies of the notification pipeline.
type NotifyOptions struct {
	Logger     *slog.Logger          // default: discard
	Registerer prometheus.Registerer // default: none
	Now        func() time.Time      // default: time.Now
	Secrets    notify.SecretSource   // default: process environment and files
	// Receiver tunes every receiver (HTTP client, timeout, TLS); Name, Now and Secrets are set
	// by newOutbox.
	Receiver notify.Options
	// Outbox tunes the outbox (backoff, concurrency); DB, Groups, DefaultGroups, Logger,
	// Registerer and Now are set by newOutbox.
	Outbox notify.OutboxOptions
}

// ActionGroups decodes the action_groups section of cfg with the notifier's schema and
// validates it, without resolving secrets. Every problem is a *config.Error at its line:
// unknown fields, wrong types, invalid receivers, duplicate names.
func ActionGroups(cfg *config.Config) ([]notify.ActionGroupConfig, error) {
	if cfg == nil {
		return nil, nil
	}
	var (
		out  []notify.ActionGroupConfig
		errs []error
		seen = map[string]config.Pos{}
	)
	for i := range cfg.ActionGroups {
		n := config.Resolve(&cfg.ActionGroups[i])
		pos := config.Pos{File: cfg.File, Line: n.Line}
		if n.Kind != yaml.MappingNode {
			errs = append(errs, config.Errorf(pos, "action_groups[%d]: want a mapping with name and receivers", i))
			continue
		}
		var g notify.ActionGroupConfig
		where := "action group " + scalarField(n, "name")
		errs = append(errs, unknownFields(cfg.File, n, reflect.TypeOf(g), where, "")...)
		if err := n.Decode(&g); err != nil {
			errs = append(errs, yamlErrors(cfg.File, n.Line, where, err)...)
			continue
		}
		if prev, dup := seen[g.Name]; dup && g.Name != "" {
			errs = append(errs, config.Errorf(pos, "action group %s: duplicate name (first at line %d)", g.Name, prev.Line))
		}
		seen[g.Name] = pos
		for _, p := range g.Problems() {
			errs = append(errs, config.Errorf(receiverPos(cfg.File, n, p), "%s", p.Error()))
		}
		out = append(out, g)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// buildGroups decodes, validates and builds the action groups of cfg, resolving their secrets;
// a secret that does not resolve is reported at its receiver's line. Relative file:
// references are read relative to the configuration file.
func buildGroups(cfg *config.Config, o NotifyOptions) ([]notify.Group, error) {
	confs, err := ActionGroups(cfg)
	if err != nil {
		return nil, err
	}
	ro := o.Receiver
	ro.Now = o.Now
	ro.Secrets = o.Secrets
	if cfg != nil && cfg.File != "" {
		read := ro.Secrets.ReadFile
		if read == nil {
			read = os.ReadFile
		}
		dir := filepath.Dir(cfg.File)
		ro.Secrets.ReadFile = func(p string) ([]byte, error) {
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			return read(p)
		}
	}
	var (
		groups []notify.Group
		errs   []error
	)
	for i, c := range confs {
		rs, err := notify.NewActionGroup(c, ro)
		if err != nil {
			n := config.Resolve(&cfg.ActionGroups[i])
			for _, e := range flatten(err) {
				pos := config.Pos{File: cfg.File, Line: n.Line}
				var re *notify.ReceiverError
				if errors.As(e, &re) {
					pos = receiverPos(cfg.File, n, re)
				}
				errs = append(errs, config.Errorf(pos, "%s", e.Error()))
			}
			continue
		}
		groups = append(groups, notify.Group{Name: c.Name, Receivers: rs})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return groups, nil
}

// newOutbox builds the notification outbox on db from the action groups of cfg. Alerts that
// name no action group go to the group named DefaultActionGroup when there is one.
func newOutbox(db *store.DB, cfg *config.Config, o NotifyOptions) (*notify.Outbox, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	groups, err := buildGroups(cfg, o)
	if err != nil {
		return nil, err
	}
	oo := o.Outbox
	oo.DB, oo.Groups, oo.Logger, oo.Registerer, oo.Now = db, groups, o.Logger, o.Registerer, o.Now
	oo.DefaultGroups = nil
	for _, g := range groups {
		if g.Name == DefaultActionGroup {
			oo.DefaultGroups = []string{DefaultActionGroup}
		}
	}
	return notify.NewOutbox(oo)
}

// notifyAlerts converts the rule engine's alerts into the outbox's. The notification key (the
// same for an alert's firing and resolved notifications, PagerDuty's dedup_key) comes from the
// rule and the series fingerprint, which do not change while the series lives; the event key
// is the engine's idempotency key.
func notifyAlerts(as []rules.Alert) []notify.Alert {
	out := make([]notify.Alert, 0, len(as))
	for _, a := range as {
		n := notify.Notification{
			Rule:        a.Rule,
			Severity:    string(a.Severity),
			State:       notify.StateFiring,
			Labels:      map[string]string(a.Labels),
			Annotations: a.Annotations,
			Value:       a.Value,
			Summary:     a.Summary,
			StartsAt:    a.ActiveSince.UTC(),
			Key:         notify.AlertKey(a.Rule, map[string]string{"series": a.Fingerprint.String()}),
		}
		if a.State == rules.AlertResolved {
			n.State = notify.StateResolved
			n.EndsAt = a.At.UTC()
		}
		out = append(out, notify.Alert{Notification: n, EventKey: a.Key, ActionGroups: slices.Clone(a.ActionGroups)})
	}
	return out
}

// notifier is the notification pipeline of one process: the outbox on the process's database,
// its rules.NotifyFunc (Enqueue), and its dispatcher (Run, or Flush for one-shot runs).
type notifier struct {
	outbox *notify.Outbox
	log    *slog.Logger
}

// newNotifier builds the pipeline for an open database from the action groups of cfg (nil: no
// groups; alerts are then counted and logged as unrouted, and not sent).
func newNotifier(db *store.DB, cfg *config.Config, o NotifyOptions) (*notifier, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ob, err := newOutbox(db, cfg, o)
	if err != nil {
		return nil, err
	}
	return &notifier{outbox: ob, log: o.Logger}, nil
}

// Notify is the rules.NotifyFunc: it stores the alerts of one evaluation in the outbox. An
// error fails the evaluation, so its state does not advance and the next evaluation notifies
// again (the outbox drops what it already has).
func (n *notifier) Notify(ctx context.Context, alerts []rules.Alert) error {
	return enqueueFunc(n.outbox)(ctx, alerts)
}

// Run dispatches due notifications until ctx ends: a component of the long-running process.
func (n *notifier) Run(ctx context.Context) error { return n.outbox.Run(ctx) }

// Flush sends what is pending, retrying for at most wait, for one-shot runs (alerts run
// --once from cron). Deliveries still pending afterwards stay in the outbox for the next run,
// which is logged.
func (n *notifier) Flush(ctx context.Context, wait time.Duration) error {
	res, pending, err := n.outbox.Flush(ctx, wait)
	if err != nil {
		return fmt.Errorf("sending notifications: %w", err)
	}
	if res.Total() > 0 || pending > 0 {
		n.log.Info("notifications flushed", "sent", res.Sent, "failed", res.Failed, "silenced", res.Silenced,
			"retried", res.Retried, "pending", pending)
	}
	if pending > 0 {
		n.log.Warn("notifications still pending after the wait; the next run sends them", "pending", pending, "duration", wait)
	}
	return nil
}

// runAlerting runs the rule scheduler and the notification dispatcher until ctx ends or one of
// them fails; the dispatcher stops last, so that what the last evaluations enqueued is sent
// (or stays in the outbox for the next start).
func runAlerting(ctx context.Context, m *rules.Manager, n *notifier) error {
	rctx, stopRules := context.WithCancel(ctx)
	defer stopRules()
	nctx, stopNotify := context.WithCancel(context.WithoutCancel(ctx))
	defer stopNotify()
	notifyDone := make(chan error, 1)
	go func() { notifyDone <- n.Run(nctx) }()
	err := m.Run(rctx)
	if rctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = nil // stopped while evaluating: not a failure
	}
	stopNotify()
	if nerr := <-notifyDone; err == nil {
		err = nerr
	}
	return err
}

// enqueueFunc returns the function the rule engine calls with the alerts of one evaluation.
func enqueueFunc(ob *notify.Outbox) func(ctx context.Context, alerts []rules.Alert) error {
	return func(ctx context.Context, alerts []rules.Alert) error {
		if len(alerts) == 0 {
			return nil
		}
		_, err := ob.Enqueue(ctx, notifyAlerts(alerts))
		return err
	}
}

// receiverPos returns the line of the receiver entry p names inside the group mapping n (the
// group's line for a problem with the group itself).
func receiverPos(file string, n *yaml.Node, p *notify.ReceiverError) config.Pos {
	pos := config.Pos{File: file, Line: n.Line}
	if p.Kind == "" {
		return pos
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != p.Kind {
			continue
		}
		seq := config.Resolve(n.Content[i+1])
		pos.Line = n.Content[i].Line
		if seq.Kind == yaml.SequenceNode && p.Index < len(seq.Content) {
			pos.Line = config.Resolve(seq.Content[p.Index]).Line
		}
	}
	return pos
}

// scalarField returns the value of key in mapping n, or "" when absent or not a scalar.
func scalarField(n *yaml.Node, key string) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := config.Resolve(n.Content[i+1]); n.Content[i].Value == key && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}

// unknownFields reports the mapping keys in n that t (a struct type, walked through its yaml
// tags) does not have, recursing into nested structs and lists of structs.
func unknownFields(file string, n *yaml.Node, t reflect.Type, where, path string) []error {
	n = config.Resolve(n)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				fields[name] = t.Field(i).Type
				names = append(names, name)
			}
		}
		var errs []error
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				errs = append(errs, config.Errorf(config.Pos{File: file, Line: k.Line}, "%s: %sunknown field %q (known: %s)", where, path, k.Value, strings.Join(names, ", ")))
				continue
			}
			errs = append(errs, unknownFields(file, n.Content[i+1], ft, where, path+k.Value)...)
		}
		return errs
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		var errs []error
		for i, item := range n.Content {
			errs = append(errs, unknownFields(file, item, t.Elem(), where, fmt.Sprintf("%s[%d]: ", path, i))...)
		}
		return errs
	}
	return nil
}

// yamlLine matches the "line N: " prefix of go-yaml's type errors.
var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlErrors turns a decode error into config errors at the lines go-yaml names.
func yamlErrors(file string, line int, where string, err error) []error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []error{config.Errorf(config.Pos{File: file, Line: line}, "%s: %v", where, err)}
	}
	var out []error
	for _, msg := range te.Errors {
		l := line
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			l, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		out = append(out, config.Errorf(config.Pos{File: file, Line: l}, "%s: %s", where, msg))
	}
	return out
}

// flatten walks an errors.Join tree into its leaves.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
