package overlay

import (
	"fmt"

	securejoin "github.com/cyphar/filepath-securejoin"
)

// Resolve returns the host path of the container path target inside
// rootfs, resolving symlinks as if rootfs were "/": a link in the image such
// as /etc/hosts -> /etc/passwd-of-the-host stays inside rootfs. The
// remaining components need not exist. Resolve reads the filesystem but
// changes nothing.
func Resolve(rootfs, target string) (string, error) {
	p, err := securejoin.SecureJoin(rootfs, target)
	if err != nil {
		return "", fmt.Errorf("resolve %s in rootfs: %w", target, err)
	}
	return p, nil
}
