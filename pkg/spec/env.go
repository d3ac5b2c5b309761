package spec

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// MergeEnv returns base with overrides applied: an entry replaces the base
// entry with the same key in place, new keys are appended in order.
func MergeEnv(base, overrides []string) []string {
	out := append([]string(nil), base...)
	index := make(map[string]int, len(out))
	for i, kv := range out {
		index[envKey(kv)] = i
	}
	for _, kv := range overrides {
		k := envKey(kv)
		if i, ok := index[k]; ok {
			out[i] = kv
			continue
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	return out
}

func envKey(kv string) string {
	k, _, _ := strings.Cut(kv, "=")
	return k
}

// LookupEnv returns the value of key in env, or "".
func LookupEnv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// ParseEnv validates -e values. "KEY=VALUE" is kept; a bare "KEY" takes
// the value from lookup (hutch's own environment) and is dropped when unset,
// as in Podman and Docker.
func ParseEnv(entries []string, lookup func(string) (string, bool)) ([]string, error) {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		kv, ok, err := parseEnvEntry(e, lookup)
		if err != nil {
			return nil, fmt.Errorf("environment variable %q: %w", e, err)
		}
		if ok {
			out = append(out, kv)
		}
	}
	return out, nil
}

func parseEnvEntry(e string, lookup func(string) (string, bool)) (string, bool, error) {
	k, _, hasValue := strings.Cut(e, "=")
	if k == "" {
		return "", false, errdefs.Errorf(errdefs.ErrInvalidArgument, "empty name")
	}
	if strings.IndexFunc(k, unicode.IsSpace) >= 0 {
		return "", false, errdefs.Errorf(errdefs.ErrInvalidArgument, "name contains whitespace")
	}
	if hasValue {
		return e, true, nil
	}
	if v, ok := lookup(k); ok {
		return k + "=" + v, true, nil
	}
	return "", false, nil
}

// ParseEnvFile reads an env file (Docker's format): one KEY=VALUE or KEY per
// line, blank lines and lines starting with # ignored. name is used in
// errors ("vars.env:3: ...").
func ParseEnvFile(r io.Reader, name string, lookup func(string) (string, bool)) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kv, ok, err := parseEnvEntry(line, lookup)
		if err != nil {
			return nil, fmt.Errorf("env file %s:%d: %w", name, n, err)
		}
		if ok {
			out = append(out, kv)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("env file %s: %w", name, err)
	}
	return out, nil
}
