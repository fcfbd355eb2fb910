package dbsql

import (
	"fmt"
	"strings"
)

// strftime converts a Spark datetime pattern (java.time.format.DateTimeFormatter letters, as
// date_format, to_timestamp and from_unixtime take them) into a DuckDB strftime/strptime format.
// Quoted text ('T', 'at') is literal and ” is a quote. Letters without an equivalent are an
// error naming the letter.
func strftime(pattern string) (string, error) {
	var b strings.Builder
	rs := []rune(pattern)
	for i := 0; i < len(rs); {
		c := rs[i]
		n := 1
		for i+n < len(rs) && rs[i+n] == c {
			n++
		}
		switch {
		case c == '\'':
			if n >= 2 { // '' is a literal quote
				b.WriteString(strings.Repeat("'", n/2))
				i += n / 2 * 2
				continue
			}
			end := i + 1
			for end < len(rs) && rs[end] != '\'' {
				end++
			}
			if end >= len(rs) {
				return "", fmt.Errorf("date pattern %q has an unclosed quote", pattern)
			}
			b.WriteString(strings.ReplaceAll(string(rs[i+1:end]), "%", "%%"))
			i = end + 1
			continue
		case c == '%':
			b.WriteString(strings.Repeat("%%", n))
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			f, err := dateLetter(c, n)
			if err != nil {
				return "", fmt.Errorf("date pattern %q: %w", pattern, err)
			}
			b.WriteString(f)
		default:
			b.WriteString(string(rs[i : i+n]))
		}
		i += n
	}
	return b.String(), nil
}

func dateLetter(c rune, n int) (string, error) {
	pick := func(one, two string) string {
		if n == 1 {
			return one
		}
		return two
	}
	switch c {
	case 'y', 'u':
		if n == 2 {
			return "%y", nil
		}
		return "%Y", nil
	case 'M', 'L':
		switch {
		case n >= 4:
			return "%B", nil
		case n == 3:
			return "%b", nil
		}
		return pick("%-m", "%m"), nil
	case 'd':
		return pick("%-d", "%d"), nil
	case 'D':
		return pick("%-j", "%j"), nil
	case 'H':
		return pick("%-H", "%H"), nil
	case 'h':
		return pick("%-I", "%I"), nil
	case 'k': // hour 1-24: no strftime equivalent short of %H
		return "%H", nil
	case 'm':
		return pick("%-M", "%M"), nil
	case 's':
		return pick("%-S", "%S"), nil
	case 'S':
		switch {
		case n <= 3:
			return "%g", nil // milliseconds
		case n <= 6:
			return "%f", nil // microseconds
		}
		return "%n", nil // nanoseconds
	case 'a':
		return "%p", nil
	case 'E':
		if n >= 4 {
			return "%A", nil
		}
		return "%a", nil
	case 'Z', 'x':
		return "%z", nil
	case 'X':
		return "%z", nil
	case 'z', 'V':
		return "%Z", nil
	case 'w':
		return pick("%-V", "%V"), nil
	case 'e':
		return "%w", nil
	}
	return "", fmt.Errorf("pattern letter %q has no DuckDB equivalent", c)
}
