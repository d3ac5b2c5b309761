package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// helperPrefix starts every credential helper's program name; the config
// file names only the suffix ("credsStore": "pass").
const helperPrefix = "docker-credential-"

// helperNotFound is what docker's credential helpers print (exiting 1) when
// they hold nothing for a server: not an error, just no credentials.
const helperNotFound = "credentials not found in native keychain"

// helperTokenUser is the Username a helper returns when Secret is an
// identity token rather than a password.
const helperTokenUser = "<token>"

// helperResponse is a helper's answer to "get".
type helperResponse struct {
	ServerURL string
	Username  string
	Secret    string
}

// runHelper asks docker-credential-<name> for host's credentials per the
// docker credential-helper protocol: argument "get", the server URL on
// stdin, a JSON document on stdout. It returns nil, nil when the helper
// holds none. configPath (the file naming the helper) is for messages.
// An error wraps exec.ErrNotFound when the helper is not installed.
func runHelper(ctx context.Context, name, host, configPath string) (*Credential, error) {
	prog := helperPrefix + name
	// The name comes from a file: keep it a bare program name looked up on
	// PATH, never a path that could run something elsewhere.
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "auth file %s: credential helper name %q is not a program name",
			configPath, name)
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return nil, fmt.Errorf("credential helper %s (named in %s) is not installed: %w", prog, configPath, exec.ErrNotFound)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "get")
	cmd.Stdin = strings.NewReader(helperServerURL(host))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A helper that leaves a child holding its stdout open must not hang
	// the pull once the helper itself has exited.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Run(); err != nil {
		out := stdout.String() + stderr.String()
		if strings.Contains(out, helperNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("credential helper %s (named in %s) for %s: %w%s", prog, configPath, host, err, helperMessage(out))
	}
	var resp helperResponse
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("credential helper %s (named in %s) for %s: its output is not a credentials document",
			prog, configPath, host)
	}
	c := &Credential{Registry: host, Source: prog + " (named in " + configPath + ")"}
	if resp.Username == helperTokenUser {
		c.identityToken = resp.Secret
	} else {
		c.Username, c.password = resp.Username, resp.Secret
	}
	if c.empty() {
		return nil, nil
	}
	return c, nil
}

// helperMessage is the first line of a failed helper's output, shortened,
// as a suffix for the error ("exit status 1: keychain is locked").
func helperMessage(out string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	const maxLen = 200
	if len(line) > maxLen {
		line = line[:maxLen] + "..."
	}
	if line == "" {
		return ""
	}
	return ": " + line
}
