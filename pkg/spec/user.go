package spec

import (
	"fmt"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// ResolveUser resolves a --user value ("name", "uid", "name:group",
// "uid:gid", "") against the image's /etc/passwd and /etc/group inside
// rootfs. It returns the numeric identity and the user's home directory.
// Paths are resolved inside rootfs, so a symlinked /etc/passwd in the image
// cannot make hutch read the host's files.
func ResolveUser(rootfs, spec string) (specs.User, string, error) {
	passwd, err := securejoin.SecureJoin(rootfs, "/etc/passwd")
	if err != nil {
		return specs.User{}, "", fmt.Errorf("resolve /etc/passwd in the image: %w", err)
	}
	group, err := securejoin.SecureJoin(rootfs, "/etc/group")
	if err != nil {
		return specs.User{}, "", fmt.Errorf("resolve /etc/group in the image: %w", err)
	}
	defaults := &user.ExecUser{Uid: 0, Gid: 0, Home: "/"}
	eu, err := user.GetExecUserPath(spec, defaults, passwd, group)
	if err != nil {
		return specs.User{}, "", errdefs.Errorf(errdefs.ErrInvalidArgument, "user %q: %v", spec, err)
	}
	u := specs.User{UID: uint32(eu.Uid), GID: uint32(eu.Gid)}
	for _, g := range eu.Sgids {
		u.AdditionalGids = append(u.AdditionalGids, uint32(g))
	}
	return u, eu.Home, nil
}
