package dns

import (
	"bufio"
	"bytes"
	"net/netip"
	"strings"
)

// Upstreams returns the nameserver addresses of a resolv.conf document, in
// order, skipping malformed ones. Loopback resolvers are kept: as root the
// responder runs in the host's network namespace, where they answer;
// rootless callers pass slirp4netns's resolver instead of the host's file.
func Upstreams(resolvConf []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(resolvConf))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		if _, err := netip.ParseAddr(fields[1]); err != nil {
			continue
		}
		out = append(out, fields[1])
	}
	return out
}
