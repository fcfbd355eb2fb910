package app

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/auditlake/auditlake/internal/rules"
	"github.com/auditlake/auditlake/internal/store"
)

// dbStates keeps rule states in the alerts schema of the database (migration 0002_rules):
// alerts.rule_state (one row per rule, the whole state as JSON), alerts.series (its queryable
// face) and alerts.history (every status change and notification).
type dbStates struct {
	db  *store.DB
	now func() time.Time
}

var _ rules.StateStore = (*dbStates)(nil)

// LoadStates reads every rule's stored state.
func (s *dbStates) LoadStates(ctx context.Context) (map[string]rules.RuleState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT rule, last_eval, duration_ms, coalesce(last_error, ''), CAST(state AS VARCHAR) FROM alerts.rule_state`)
	if err != nil {
		return nil, fmt.Errorf("reading alerts.rule_state: %w", err)
	}
	defer rows.Close()
	out := map[string]rules.RuleState{}
	for rows.Next() {
		var (
			name, lastErr, state string
			last                 time.Time
			ms                   float64
		)
		if err := rows.Scan(&name, &last, &ms, &lastErr, &state); err != nil {
			return nil, fmt.Errorf("reading alerts.rule_state: %w", err)
		}
		rs := rules.RuleState{LastEval: last.UTC(), LastError: lastErr, Duration: time.Duration(ms * float64(time.Millisecond))}
		if err := json.Unmarshal([]byte(state), &rs.State); err != nil {
			return nil, fmt.Errorf("reading the state of rule %s: %w", name, err)
		}
		out[name] = rs
	}
	return out, rows.Err()
}

// SaveEvaluation replaces the rule's state and series and appends its transitions to the
// history, in one transaction.
func (s *dbStates) SaveEvaluation(ctx context.Context, ev rules.Evaluation) error {
	state, err := json.Marshal(ev.Next)
	if err != nil {
		return err
	}
	var lastErr any
	if ev.Err != nil {
		lastErr = ev.Err.Error()
	}
	now := s.now().UTC()
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Exec(`DELETE FROM alerts.rule_state WHERE rule = ?`, ev.Rule.Name); err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO alerts.rule_state VALUES (?, ?, ?, ?, CAST(? AS JSON), ?)`,
			ev.Rule.Name, ev.At.UTC(), float64(ev.Duration)/float64(time.Millisecond), lastErr, string(state), now); err != nil {
			return err
		}
		if ev.Err != nil {
			return nil // the state did not change
		}
		if err := tx.Exec(`DELETE FROM alerts.series WHERE rule = ?`, ev.Rule.Name); err != nil {
			return err
		}
		for fp, ser := range ev.Next.Series {
			labels, err := json.Marshal(ser.Labels)
			if err != nil {
				return err
			}
			if err := tx.Exec(`INSERT INTO alerts.series VALUES (?, ?, CAST(? AS JSON), ?, ?, ?, ?, ?)`,
				ev.Rule.Name, fp.String(), string(labels), string(ser.Status), nullTime(ser.ActiveSince),
				nullTime(ser.LastFired), nullTime(ser.ResolvedAt), ser.LastValue); err != nil {
				return err
			}
		}
		for _, t := range ev.Transitions {
			labels, err := json.Marshal(t.Labels)
			if err != nil {
				return err
			}
			var key, summary, ann any
			if t.Alert != nil {
				key, summary = t.Alert.Key, t.Alert.Summary
				if len(t.Alert.Annotations) > 0 {
					b, err := json.Marshal(t.Alert.Annotations)
					if err != nil {
						return err
					}
					ann = string(b)
				}
			}
			if err := tx.Exec(`INSERT INTO alerts.history VALUES (?, ?, ?, ?, CAST(? AS JSON), ?, ?, ?, ?, ?, ?, CAST(? AS JSON), ?)`,
				t.At.UTC(), t.Rule, string(t.Severity), t.Fingerprint.String(), string(labels), string(t.From), string(t.To),
				t.Value, t.Alert != nil, key, summary, ann, now); err != nil {
				return err
			}
		}
		return nil
	})
}

func nullTime(t time.Time) driver.Value {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}
