package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var wantRE = regexp.MustCompile(`(?m)^# want: (.+)$`)

// TestTestdata loads every testdata file: *.good.yaml must load, *.bad.yaml must fail with
// exactly the errors its "# want: <substring>" comments list (one error per want).
func TestTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			c, err := Parse(filepath.Base(f), data)
			if strings.HasSuffix(f, ".good.yaml") {
				require.NoError(t, err)
				require.NotNil(t, c)
				return
			}
			require.Error(t, err)
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ce *Error
				require.True(t, errors.As(e, &ce), "%v is not a *config.Error", e)
				got = append(got, e.Error())
			}
			wants := wantRE.FindAllStringSubmatch(string(data), -1)
			require.NotEmpty(t, wants, "a bad file lists its errors in # want: comments")
			for _, w := range wants {
				found := false
				for _, g := range got {
					found = found || strings.Contains(g, w[1])
				}
				require.True(t, found, "want %q in\n%s", w[1], strings.Join(got, "\n"))
			}
			require.Len(t, got, len(wants), "every error has a want line:\n%s", strings.Join(got, "\n"))
		})
	}
}

func TestFullValues(t *testing.T) {
	c, err := Load("testdata/full.good.yaml")
	require.NoError(t, err)
	abs, err := filepath.Abs("testdata/rules")
	require.NoError(t, err)
	got, err := filepath.Abs(c.Rules.Dirs[0])
	require.NoError(t, err)
	require.Equal(t, abs, got, "relative dirs are relative to the config file")
	require.Equal(t, "/etc/auditlake/rules", c.Rules.Dirs[1])
	require.Equal(t, []string{"admin-grants", "failed-logins-per-ip"}, c.Rules.Disabled)
	require.Equal(t, map[string]any{
		"business_hours_start":          int64(8),
		"business_hours_end":            18.5,
		"timezone":                      "Europe/Berlin",
		"noisy":                         false,
		"sensitive-table-access.tables": []any{"main.hr.salaries", "main.finance.*"},
	}, c.Rules.Params)
	require.Equal(t, Pos{"testdata/full.good.yaml", 4}, c.Rules.Pos["disabled:admin-grants"])
	require.Equal(t, Pos{"testdata/full.good.yaml", 10}, c.Rules.Pos["params:sensitive-table-access.tables"])
	require.Len(t, c.ActionGroups, 2)
	require.Equal(t, 12, c.ActionGroups[0].Line)
	var g struct{ Name string }
	require.NoError(t, c.ActionGroups[1].Decode(&g))
	require.Equal(t, "oncall", g.Name)
}

func TestEmptyIsDefault(t *testing.T) {
	c, err := Parse("x.yaml", nil)
	require.NoError(t, err)
	require.Empty(t, c.Rules.Dirs)
	require.Empty(t, c.ActionGroups)
	_, err = Load("testdata/does-not-exist.yaml")
	require.ErrorContains(t, err, "reading config")
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, _ := os.ReadFile(name)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
	})
}
