package dashboard

import (
	"embed"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// View is one named, fixed query a dashboard calls.
type View struct {
	// Name is the identifier in the API path (/api/v1/views/{name}) and the file name.
	Name string `json:"name"`
	// Title is the heading the UI shows.
	Title string `json:"title"`
	// Description says what the view shows, in one or two sentences.
	Description string `json:"description,omitempty"`
	// Language is "kql" or "sql".
	Language string `json:"language"`
	// Query is the query text without the header comments; parameters appear in it as names
	// the caller binds (`let day = datetime(2019-12-28);` in front of a KQL query).
	Query string `json:"query"`
	// Params are the declared parameters, in declaration order.
	Params []Param `json:"params,omitempty"`
}

// Param is a declared parameter of a view.
type Param struct {
	// Name is the KQL identifier the query uses and the URL query key.
	Name string `json:"name"`
	// Type is a KQL scalar type: string, long, real, bool, datetime or timespan.
	Type string `json:"type"`
	// Default is the value used when the caller gives none, as text (2019-12-28, 31303, 1d).
	Default string `json:"default"`
}

// ParamTypes are the types a parameter may declare.
var ParamTypes = []string{"string", "long", "real", "bool", "datetime", "timespan"}

//go:embed views
var files embed.FS

// views is parsed once from the embedded files; a malformed file is a programmer error caught
// by every test run, so it panics at init.
var views = mustLoad()

// Views returns every view, sorted by name. The caller may modify the returned slice.
func Views() []View {
	out := make([]View, len(views))
	for i, v := range views {
		v.Params = append([]Param(nil), v.Params...)
		out[i] = v
	}
	return out
}

// Lookup returns the view with the given name.
func Lookup(name string) (View, bool) {
	for _, v := range views {
		if v.Name == name {
			v.Params = append([]Param(nil), v.Params...)
			return v, true
		}
	}
	return View{}, false
}

func mustLoad() []View {
	entries, err := files.ReadDir("views")
	if err != nil {
		panic("BUG: reading embedded views: " + err.Error())
	}
	var out []View
	for _, e := range entries {
		b, err := files.ReadFile(path.Join("views", e.Name()))
		if err != nil {
			panic("BUG: reading embedded view: " + err.Error())
		}
		v, err := parse(e.Name(), string(b))
		if err != nil {
			panic("BUG: " + err.Error())
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parse reads one view file: header comments (title, description, param), then the query.
func parse(file, text string) (View, error) {
	ext := path.Ext(file)
	v := View{Name: strings.TrimSuffix(file, ext), Language: strings.TrimPrefix(ext, ".")}
	comment := map[string]string{"kql": "//", "sql": "--"}[v.Language]
	if comment == "" {
		return View{}, fmt.Errorf("%s: unknown view language %q (want .kql or .sql)", file, v.Language)
	}
	if !identRE.MatchString(v.Name) {
		return View{}, fmt.Errorf("%s: view name %q is not an identifier", file, v.Name)
	}
	lines := strings.Split(text, "\n")
	i := 0
	for ; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(line, comment) {
			break
		}
		key, val, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, comment)), ":")
		if !ok {
			return View{}, fmt.Errorf("%s:%d: header line must be `%s key: value`", file, i+1, comment)
		}
		val = strings.TrimSpace(val)
		switch key {
		case "title":
			v.Title = val
		case "description":
			v.Description = val
		case "param":
			p, err := parseParam(val)
			if err != nil {
				return View{}, fmt.Errorf("%s:%d: %w", file, i+1, err)
			}
			for _, q := range v.Params {
				if q.Name == p.Name {
					return View{}, fmt.Errorf("%s:%d: parameter %q declared twice", file, i+1, p.Name)
				}
			}
			v.Params = append(v.Params, p)
		default:
			return View{}, fmt.Errorf("%s:%d: unknown header key %q (want title, description or param)", file, i+1, key)
		}
	}
	v.Query = strings.TrimSpace(strings.Join(lines[i:], "\n"))
	if v.Title == "" {
		return View{}, fmt.Errorf("%s: missing `%s title:` header", file, comment)
	}
	if v.Query == "" {
		return View{}, fmt.Errorf("%s: no query after the header", file)
	}
	return v, nil
}

// parseParam reads "name type default…".
func parseParam(s string) (Param, error) {
	f := strings.SplitN(s, " ", 3)
	if len(f) < 2 {
		return Param{}, fmt.Errorf("param %q: want `param: name type default`", s)
	}
	p := Param{Name: f[0], Type: f[1]}
	if len(f) == 3 {
		p.Default = strings.TrimSpace(f[2])
	}
	if !identRE.MatchString(p.Name) {
		return Param{}, fmt.Errorf("param name %q is not an identifier", p.Name)
	}
	for _, t := range ParamTypes {
		if t == p.Type {
			return p, nil
		}
	}
	return Param{}, fmt.Errorf("param %s: unknown type %q (want one of %s)", p.Name, p.Type, strings.Join(ParamTypes, ", "))
}
