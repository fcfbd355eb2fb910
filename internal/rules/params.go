package rules

import (
	"fmt"
	"maps"
	"time"
)

// Names of the parameters the evaluator sets for every query: the event-time window
// [window_start, window_end) of Window(rule, at). Rule files must not declare them.
const (
	ParamWindowStart = "window_start"
	ParamWindowEnd   = "window_end"
)

// QueryParams returns the named values a rule's query reads when evaluated at t: its params
// plus window_start and window_end (see Window). The query runner turns them into KQL let
// statements or SQL $name arguments; rules never splice them into query text.
func QueryParams(r Rule, t time.Time) map[string]any {
	from, to := Window(r, t)
	out := make(map[string]any, len(r.Params)+2)
	maps.Copy(out, r.Params)
	out[ParamWindowStart], out[ParamWindowEnd] = from.UTC(), to.UTC()
	return out
}

// SetParam overrides one of r's parameter defaults with v (from the config file's
// rules.params). The rule must declare the parameter, and v must be of the same kind as the
// default: a number (integer or not), a string, a bool, or a list whose entries are of the
// kind of the default list's entries.
func (r *Rule) SetParam(name string, v any) error {
	def, ok := r.Params[name]
	if !ok {
		return fmt.Errorf("rule %q has no parameter %q", r.Name, name)
	}
	if kindOf(def) != kindOf(v) {
		return fmt.Errorf("parameter %s of rule %q is a %s, not a %s", name, r.Name, kindOf(def), kindOf(v))
	}
	if list, isList := v.([]any); isList {
		if err := checkListKind(list); err != nil {
			return fmt.Errorf("parameter %s of rule %q: %w", name, r.Name, err)
		}
		if dl := def.([]any); len(dl) > 0 && len(list) > 0 && kindOf(dl[0]) != kindOf(list[0]) {
			return fmt.Errorf("parameter %s of rule %q is a list of %ss, not of %ss", name, r.Name, kindOf(dl[0]), kindOf(list[0]))
		}
	}
	params := maps.Clone(r.Params)
	params[name] = v
	r.Params = params
	return nil
}

func kindOf(v any) string {
	switch v.(type) {
	case int64, float64, int:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	case []any:
		return "list"
	}
	return fmt.Sprintf("%T", v)
}

func checkListKind(list []any) error {
	for i := 1; i < len(list); i++ {
		if kindOf(list[i]) != kindOf(list[0]) {
			return fmt.Errorf("list mixes %s and %s entries", kindOf(list[0]), kindOf(list[i]))
		}
	}
	return nil
}
