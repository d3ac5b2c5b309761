package auth

import (
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// dockerHub is the canonical name of Docker Hub's registry in hutch's auth
// file (the name Podman writes too).
const dockerHub = "docker.io"

// dockerHubHelperURL is the server URL docker stores Hub credentials under,
// in its config file and in credential helpers.
const dockerHubHelperURL = "https://index.docker.io/v1/"

// canonicalHost folds a registry host to the form lookups compare:
// lower case, with docker.io's aliases folded into "docker.io".
func canonicalHost(host string) string {
	host = strings.ToLower(host)
	switch host {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return dockerHub
	}
	return host
}

// keyHost returns the registry host an auth file key names, and scoped
// when the key names a namespace inside a registry instead ("quay.io/org",
// containers' per-repository credentials), which a lookup by host must not
// use. A key with a URL scheme is cut at the first slash
// ("https://index.docker.io/v1/"), as docker does; docker's own file is
// legacy: every key is cut there, since docker has no scoped keys.
func keyHost(key string, legacy bool) (host string, scoped bool) {
	stripped := strings.TrimPrefix(key, "https://")
	stripped = strings.TrimPrefix(stripped, "http://")
	host, rest, hasPath := strings.Cut(stripped, "/")
	if hasPath && rest != "" && !legacy && stripped == key {
		return canonicalHost(host), true
	}
	return canonicalHost(host), false
}

// registryHost turns what a user or caller names a registry by
// ("127.0.0.1:5000", "index.docker.io", "https://index.docker.io/v1/")
// into its canonical host. A path other than docker's "/v1/" is refused:
// credentials are kept per registry, not per repository.
func registryHost(registry string) (string, error) {
	r := strings.TrimSpace(registry)
	hadScheme := r != strings.TrimPrefix(strings.TrimPrefix(r, "https://"), "http://")
	r = strings.TrimPrefix(strings.TrimPrefix(r, "https://"), "http://")
	host, rest, _ := strings.Cut(r, "/")
	rest = strings.Trim(rest, "/")
	switch {
	case host == "":
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "registry name %q is empty", registry)
	case rest != "" && !(hadScheme && rest == "v1"):
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument,
			"registry %q: give the registry's host[:port] without a path (credentials are per registry)", registry)
	case strings.ContainsAny(host, " \t\n@"):
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "registry name %q is not a host[:port]", registry)
	}
	return canonicalHost(host), nil
}

// helperServerURL is the server URL a credential helper is asked about:
// docker's historical URL for Docker Hub, else the host.
func helperServerURL(host string) string {
	if host == dockerHub {
		return dockerHubHelperURL
	}
	return host
}
