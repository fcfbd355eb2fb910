package rules

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/auditlake/auditlake/internal/config"
)

// The built-in detection pack: one or more rules per file in builtin/, and their unit tests in
// builtin/tests (run by `auditlake rules test --builtin`).
//
//go:embed builtin/*.yaml
var builtinFS embed.FS

//go:embed builtin/tests/*.test.yaml
var builtinTestFS embed.FS

// Builtin loads the embedded built-in pack. Positions name the files builtin/<file>.yaml, and
// every rule has Builtin set. An error means a broken pack (a bug caught by the tests).
func (o LoadOptions) Builtin() ([]Rule, error) {
	names, err := fs.Glob(builtinFS, "builtin/*.yaml")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	rs, err := o.loadWith(names, func(name string) ([]byte, error) { return builtinFS.ReadFile(name) })
	if err != nil {
		return nil, fmt.Errorf("built-in rules: %w", err)
	}
	for i := range rs {
		rs[i].Builtin = true
	}
	return rs, nil
}

// Builtin loads the embedded built-in pack with the zero LoadOptions.
func Builtin() ([]Rule, error) { return LoadOptions{}.Builtin() }

// BuiltinTests returns the built-in pack's unit test files (*.test.yaml) as a file system whose
// root holds them.
func BuiltinTests() fs.FS {
	sub, err := fs.Sub(builtinTestFS, "builtin/tests")
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return sub
}

// BuiltinTestPath is how positions name a built-in test file.
func BuiltinTestPath(name string) string { return path.Join("builtin/tests", name) }

// Assemble combines the built-in pack with the rules loaded from rule directories and applies
// the config file's rules section:
//   - a file rule with a built-in's name replaces the built-in (an override, by name);
//   - rules named in cfg.Disabled get Enabled false;
//   - cfg.Params override parameter defaults, "rule.name" for one rule and "name" for every
//     rule that declares the parameter ("rule.name" wins).
//
// A disabled name or parameter that matches no rule, and a value of the wrong kind, are
// errors at their config file line (*config.Error), all of them joined. The result keeps the
// built-in order, with file rules that override nothing appended in their order.
func Assemble(builtin, files []Rule, cfg config.Rules) ([]Rule, error) {
	byName := map[string]int{}
	var out []Rule
	for _, r := range builtin {
		byName[r.Name] = len(out)
		out = append(out, r)
	}
	for _, r := range files {
		if i, ok := byName[r.Name]; ok {
			out[i] = r
			continue
		}
		byName[r.Name] = len(out)
		out = append(out, r)
	}
	var errs []error
	pos := func(key string) config.Pos {
		if p, ok := cfg.Pos[key]; ok {
			return p
		}
		return config.Pos{File: "config", Line: 1}
	}
	for _, name := range cfg.Disabled {
		i, ok := byName[name]
		if !ok {
			errs = append(errs, config.Errorf(pos("disabled:"+name), "rules.disabled: no rule named %q (see auditlake rules list)", name))
			continue
		}
		out[i].Enabled = false
	}
	keys := make([]string, 0, len(cfg.Params))
	for k := range cfg.Params {
		keys = append(keys, k)
	}
	// Unqualified names first, so a rule.name override lands last and wins.
	slices.SortFunc(keys, func(a, b string) int {
		qa, qb := isQualified(a), isQualified(b)
		if qa != qb {
			if qa {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	for _, key := range keys {
		v := cfg.Params[key]
		rule, param := splitParamKey(key)
		if rule != "" {
			i, ok := byName[rule]
			if !ok {
				errs = append(errs, config.Errorf(pos("params:"+key), "rules.params.%s: no rule named %q", key, rule))
				continue
			}
			if err := out[i].SetParam(param, v); err != nil {
				errs = append(errs, config.Errorf(pos("params:"+key), "rules.params.%s: %v", key, err))
			}
			continue
		}
		found := false
		for i := range out {
			if _, ok := out[i].Params[param]; !ok {
				continue
			}
			found = true
			if err := out[i].SetParam(param, v); err != nil {
				errs = append(errs, config.Errorf(pos("params:"+key), "rules.params.%s: %v", key, err))
			}
		}
		if !found {
			errs = append(errs, config.Errorf(pos("params:"+key), "rules.params.%s: no rule declares parameter %q", key, param))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func isQualified(key string) bool { r, _ := splitParamKey(key); return r != "" }

// splitParamKey splits "rule.param" at its last dot; "param" has no rule.
func splitParamKey(key string) (rule, param string) {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '.' {
			return key[:i], key[i+1:]
		}
	}
	return "", key
}
