package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/auditlake/auditlake/internal/notify"
)

// Silence is a stored silence (see notify.Silence).
type Silence = notify.Silence

// SilenceAddOptions describe a new silence.
type SilenceAddOptions struct {
	Matchers []string      // "name=value", "name!=value", "name=~re", "name!~re"; at least one
	Start    time.Time     // default now
	End      time.Time     // or Duration
	Duration time.Duration // from Start; used when End is zero
	Comment  string        // required
	Author   string        // required
	Now      func() time.Time
}

// SilenceAdd stores a new silence in the database of env and returns it.
func SilenceAdd(ctx context.Context, env Env, o SilenceAddOptions) (Silence, error) {
	var (
		ms   []notify.Matcher
		errs []error
	)
	for _, s := range o.Matchers {
		m, err := notify.ParseMatcher(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("--matcher %q: %w", s, err))
			continue
		}
		ms = append(ms, m)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	start := o.Start
	if start.IsZero() {
		start = now()
	}
	end := o.End
	switch {
	case !end.IsZero() && o.Duration != 0:
		errs = append(errs, errors.New("give --end or --duration, not both"))
	case end.IsZero() && o.Duration <= 0:
		errs = append(errs, errors.New("give --end or a positive --duration"))
	case end.IsZero():
		end = start.Add(o.Duration)
	}
	if err := errors.Join(errs...); err != nil {
		return Silence{}, err
	}
	db, err := env.open(ctx, false)
	if err != nil {
		return Silence{}, err
	}
	defer db.Close()
	return notify.NewSilences(db, now).Add(ctx, Silence{Matchers: ms, StartsAt: start, EndsAt: end, CreatedBy: o.Author, Comment: o.Comment})
}

// SilenceList writes the pending and active silences (with all, expired ones too) as a table
// or, with format "json", as a JSON array.
func SilenceList(ctx context.Context, env Env, all bool, format string, w io.Writer) error {
	if format != "table" && format != "json" {
		return fmt.Errorf("--format %q: want table or json", format)
	}
	var list []Silence
	if hasDatabase(env.Data) {
		db, err := env.open(ctx, false)
		if err != nil {
			return err
		}
		defer db.Close()
		if list, err = notify.NewSilences(db, nil).List(ctx, all); err != nil {
			return err
		}
	}
	if format == "json" {
		if list == nil {
			list = []Silence{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "no silences")
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tMATCHERS\tSTARTS\tENDS\tCREATED BY\tCOMMENT")
	for _, s := range list {
		ms := make([]string, len(s.Matchers))
		for i, m := range s.Matchers {
			ms[i] = m.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.State(now), strings.Join(ms, " "),
			s.StartsAt.Format(time.RFC3339), s.EndsAt.Format(time.RFC3339), s.CreatedBy, flatComment(s.Comment))
	}
	return tw.Flush()
}

// SilenceExpire ends the silence with id (or a unique prefix of at least 8 characters) now.
func SilenceExpire(ctx context.Context, env Env, id string) (Silence, error) {
	db, err := env.open(ctx, false)
	if err != nil {
		return Silence{}, err
	}
	defer db.Close()
	return notify.NewSilences(db, nil).Expire(ctx, id)
}

// flatComment puts a comment on one line for the table.
func flatComment(s string) string { return strings.Join(strings.Fields(s), " ") }
