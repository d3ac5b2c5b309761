// Package userns computes the ID mappings of hutch's rootless user namespace
// and checks that the host lets the user create it.
//
// Most of the package is pure data: the /etc/subuid and /etc/subgid parser,
// the Mapping built from it (uid 0 ↦ the user, 1..N ↦ the subordinate
// ranges, the layout Podman and rootlesskit use) and the uid_map parser. The
// only side effects are the checks that run before the namespace holder is
// started (newuidmap/newgidmap in PATH, and a trial run of them against a
// throwaway user namespace), so that a misconfigured host yields an error
// that names the file and the fix instead of a failure deep inside the
// holder.
//
// Every host set-up problem is wrapped in errdefs.ErrPermission.
package userns
