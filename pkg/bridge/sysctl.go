package bridge

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Sysctl reads /proc/sys/<key> (key like "net/ipv4/ip_forward") in the
// namespace. /proc/sys/net shows the namespace of the thread that opens it,
// hence Do.
func (n *Namespace) Sysctl(key string) (string, error) {
	var v string
	err := n.Do(func() error {
		b, err := os.ReadFile(filepath.Join("/proc/sys", key))
		v = strings.TrimSpace(string(b))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("sysctl %s: %w", key, err)
	}
	return v, nil
}

// SetSysctl writes value to /proc/sys/<key> in the namespace, unless it
// holds that value already (a write would need privileges a read does not).
func (n *Namespace) SetSysctl(key, value string) error {
	err := n.Do(func() error {
		p := filepath.Join("/proc/sys", key)
		if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) == value {
			return nil
		}
		return os.WriteFile(p, []byte(value), 0o644)
	})
	if err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", key, value, err)
	}
	return nil
}
