package userns

import "os"

// InUserNamespace reports whether the calling process runs in a user
// namespace other than the initial one, whose uid_map is the identity
// "0 0 4294967295". An unreadable uid_map counts as the initial namespace.
func InUserNamespace() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	return !isIdentity(string(b))
}

func isIdentity(uidMap string) bool {
	m, err := ParseIDMap(uidMap)
	if err != nil {
		return false
	}
	return len(m) == 1 && m[0] == IDMap{ContainerID: 0, HostID: 0, Size: 4294967295}
}
