package dns

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"
)

// Environment of the "dns" role.
const (
	roleEnv   = "_HUTCH_ROLE"
	roleName  = "dns"
	configEnv = "_HUTCH_DNS_CONFIG" // the JSON roleConfig
)

// Descriptors the starter passes to the responder (ExtraFiles order).
const (
	lockFD  = 3 // dns.lock, already flocked by the starter
	readyFD = 4 // write end of the readiness pipe
)

// Files in the network's directory.
const (
	lockFile      = "dns.lock"       // held by the responder for its whole life
	startLockFile = "dns.start.lock" // serialises starts and exits
	logFile       = "dns.log"        // the responder's diagnostics
)

// Defaults of the responder's tunables.
const (
	defaultTimeout  = 2 * time.Second       // per upstream
	defaultMaxAge   = 1 * time.Second       // of a state snapshot
	defaultGrace    = 10 * time.Second      // before the first idle check
	defaultInterval = 3 * time.Second       // between idle checks
	readyTimeout    = 10 * time.Second      // for a starting responder
	startLockPoll   = 20 * time.Millisecond // retry delay on dns.start.lock
	exitLockWait    = 10 * time.Second      // a responder's wait for dns.start.lock
)

// roleConfig is what a starter tells a responder, in configEnv.
type roleConfig struct {
	// Network is the network's name; Dir its state directory. Required.
	// NetworkID is its ID, to tell it from a network created again under
	// the same name.
	Network   string `json:"network"`
	NetworkID string `json:"networkId,omitempty"`
	Dir       string `json:"dir"`
	// DataDir and RunDir are hutch's, for the container records. Required.
	DataDir string `json:"dataDir"`
	RunDir  string `json:"runDir"`
	// Listen are the addresses to serve on (the network's gateways), Port
	// the port (53). Required.
	Listen []netip.Addr `json:"listen"`
	Port   int          `json:"port"`
	// Upstreams are the resolvers to forward to; nil: those of the host's
	// /etc/resolv.conf, read at start.
	Upstreams []string `json:"upstreams,omitempty"`
	// Tunables; zero means the default.
	Timeout  time.Duration `json:"timeout,omitempty"`
	MaxAge   time.Duration `json:"maxAge,omitempty"`
	Grace    time.Duration `json:"grace,omitempty"`
	Interval time.Duration `json:"interval,omitempty"`
	// LogLevel is hutch's --log-level.
	LogLevel string `json:"logLevel,omitempty"`
}

// readRoleConfig decodes the role's configuration from the environment and
// fills in defaults.
func readRoleConfig() (roleConfig, error) {
	var c roleConfig
	raw := os.Getenv(configEnv)
	if raw == "" {
		return c, fmt.Errorf("%s is not set: the dns role is started by hutch, not by hand", configEnv)
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return c, fmt.Errorf("dns responder configuration: %w", err)
	}
	if c.Network == "" || c.Dir == "" || c.DataDir == "" || len(c.Listen) == 0 || c.Port == 0 {
		return c, fmt.Errorf("dns responder configuration is incomplete: %s", raw)
	}
	c.Timeout = orDefault(c.Timeout, defaultTimeout)
	c.MaxAge = orDefault(c.MaxAge, defaultMaxAge)
	c.Grace = orDefault(c.Grace, defaultGrace)
	c.Interval = orDefault(c.Interval, defaultInterval)
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (c roleConfig) path(name string) string { return filepath.Join(c.Dir, name) }
