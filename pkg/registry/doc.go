// Package registry talks to image registries (the distribution API) for
// pkg/image's pull and push, over go-containerregistry's transport.
//
// It decides where requests go and how:
//
//   - Names. A short name ("alpine") becomes candidates: its alias in
//     hutch.yaml, else one reference per unqualified-search registry, in
//     order. "localhost/..." names are local images and never go to a
//     registry; a fully qualified name is used as is.
//   - Endpoints. The registry entry with the longest matching prefix may
//     rewrite the location and lists mirrors, tried in order before the
//     source; any failure at a mirror falls back to the next endpoint.
//   - Transport. TLS is verified, with per-host CAs and client certificates
//     from certs-dir/HOST[:PORT]/ (as containers/image's certs.d). Plain HTTP
//     and unverified TLS are allowed only for endpoints marked insecure in
//     hutch.yaml or when the caller turns verification off
//     (--tls-verify=false); --tls-verify=true requires verified TLS even
//     where hutch.yaml allows less. Loopback registries are not exempt.
//   - Stalls. A request that makes no progress for hutch.yaml's
//     registry-timeout (no byte of the answer arrives, or the registry
//     takes no byte of an upload) is cancelled with a StallError
//     (ErrStalled). Slow transfers that keep moving are never cut.
//   - Credentials come from a Credentials provider (pkg/auth), looked up by
//     the endpoint's host.
//   - Errors are one line each, classed with pkg/errdefs: an unknown image is
//     ErrNotFound, refused credentials ErrPermission (naming hutch login),
//     TLS failures ErrTLS (naming the host, the certificate problem and the
//     setting that would change it), unreachable registries ErrUnreachable,
//     stalled ones ErrStalled.
//
// Blobs come back as raw streams: the caller verifies them while it stores
// them (pkg/image does). Manifests and configurations are verified here.
package registry
