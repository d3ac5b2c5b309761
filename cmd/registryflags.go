package cmd

import (
	"strings"

	"github.com/spf13/cobra"
)

// registryFlags are the flags of the verbs that talk to registries (pull,
// push, login, image sign, run and create), with Podman's names.
type registryFlags struct {
	tlsVerify bool
	creds     string
	authFile  string
}

// addRegistryFlags registers --tls-verify, --authfile and, with creds,
// --creds.
func addRegistryFlags(c *cobra.Command, v *registryFlags, creds bool) {
	fs := c.Flags()
	fs.BoolVar(&v.tlsVerify, "tls-verify", true,
		"require HTTPS and verify certificates, even for registries hutch.yaml marks insecure (false allows plain HTTP and unverified TLS; default: hutch.yaml's setting for the registry)")
	fs.StringVar(&v.authFile, "authfile", "", "read (and for login, write) credentials in this file only")
	if creds {
		fs.StringVar(&v.creds, "creds", "", "credentials for this command only: USER[:PASSWORD] (prompted for when missing)")
	}
}

// tlsVerifyFlag returns --tls-verify's value when it was given, which then
// overrides hutch.yaml's insecure settings either way (as Podman's does);
// nil, when it was not, leaves them in force.
func tlsVerifyFlag(c *cobra.Command, v *registryFlags) *bool {
	if !c.Flags().Changed("tls-verify") {
		return nil
	}
	b := v.tlsVerify
	return &b
}

// credsFlag completes --creds: a missing password is prompted for on the
// terminal, as Podman does.
func credsFlag(ios *IOStreams, v *registryFlags) (string, error) {
	if v.creds == "" || strings.Contains(v.creds, ":") {
		return v.creds, nil
	}
	pw, err := ios.ReadPassword("Password: ")
	if err != nil {
		return "", err
	}
	return v.creds + ":" + pw, nil
}

// keyPassword is how sign and push ask for the password of an encrypted
// signing key when $COSIGN_PASSWORD is not set: on the terminal, as
// cosign does; nil when stdin is no terminal (the error then says to set
// COSIGN_PASSWORD).
func keyPassword(ios *IOStreams) func() ([]byte, error) {
	if !ios.IsStdinTTY() {
		return nil
	}
	return func() ([]byte, error) {
		pw, err := ios.ReadPassword("Enter password for private key: ")
		return []byte(pw), err
	}
}
