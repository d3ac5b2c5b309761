// Package spec builds the OCI runtime-spec document of a container from
// hutch's defaults (runc's `runc spec` plus Podman's capability set and
// mounts) and options, containerd SpecOpts style:
//
//	s, err := spec.New(spec.WithArgs("sh"), spec.WithHostname("web"))
//
// It computes data only; pkg/ns carries it out.
package spec
