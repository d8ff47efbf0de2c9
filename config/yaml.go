package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// UnmarshalYAML parses a Go duration string and names the bad value when it is not one.
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as 10m or 1s")
	}
	parsed, err := time.ParseDuration(node.Value)
	if err != nil {
		return fmt.Errorf("bad duration %q (use forms such as 10m, 90s, 1h)", node.Value)
	}
	if parsed < 0 {
		return fmt.Errorf("bad duration %q: must not be negative", node.Value)
	}
	*d = Duration(parsed)
	return nil
}

// UnmarshalYAML reads a byte count: a plain number, or a number with B, KB, MB, GB, TB (powers
// of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
func (s *Size) UnmarshalYAML(node *yaml.Node) error {
	v := strings.TrimSpace(node.Value)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(v, 64)
	if node.Kind != yaml.ScalarNode || err != nil || n < 0 {
		return fmt.Errorf("bad size %q (use forms such as 700MB, 4GiB or a number of bytes)", node.Value)
	}
	*s = Size(n * float64(mult))
	return nil
}

// MarshalYAML writes the duration back as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// ErrUnknownKey is a key seedgate does not know: a typo, or one a newer release added.
var ErrUnknownKey = errors.New("unknown key")

// unknownKeys walks the YAML tree against the Go type it decodes into and lists every key that
// has no field, with its dotted path and line, so a typo is reported as exactly that.
func unknownKeys(node *yaml.Node, t reflect.Type, path string) []error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind == yaml.DocumentNode {
		var errs []error
		for _, c := range node.Content {
			errs = append(errs, unknownKeys(c, t, path)...)
		}
		return errs
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return nil // a type error, reported by the decoder
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				fields[name] = t.Field(i).Type
			}
		}
		var errs []error
		for i := 0; i+1 < len(node.Content); i += 2 {
			key, val := node.Content[i], node.Content[i+1]
			sub := joinPath(path, key.Value)
			ft, ok := fields[key.Value]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: %w (line %d)", sub, ErrUnknownKey, key.Line))
				continue
			}
			errs = append(errs, unknownKeys(val, ft, sub)...)
		}
		return errs
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			return nil
		}
		var errs []error
		for i, c := range node.Content {
			errs = append(errs, unknownKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return errs
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
