package userns

import (
	"fmt"
	"os/user"
	"strconv"
	"strings"
)

// IDMap is one line of /proc/PID/uid_map or gid_map: IDs ContainerID ..
// ContainerID+Size-1 inside the namespace are HostID .. HostID+Size-1 outside.
type IDMap struct {
	ContainerID, HostID, Size int
}

// Mapping is the ID layout of hutch's rootless user namespace.
type Mapping struct {
	// User is the user's login name ("" if the uid has no passwd entry).
	User string
	// HostUID and HostGID are the user's ids on the host; they become 0
	// inside. HostGID is the passwd primary group, as rootlesskit uses.
	HostUID, HostGID int
	// UIDs and GIDs are the uid_map and gid_map lines.
	UIDs, GIDs []IDMap
}

// Files names the subordinate ID files; the zero value means the system
// files /etc/subuid and /etc/subgid.
type Files struct {
	SubUID, SubGID string
}

// ForUID looks the user up in the passwd database and builds their Mapping
// from the subordinate ID files. It fails with an errdefs.ErrPermission
// error naming the file and the usermod command when a range is missing.
func ForUID(uid int, files Files) (Mapping, error) {
	name, gid := "", uid
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		name = u.Username
		if g, err := strconv.Atoi(u.Gid); err == nil {
			gid = g
		}
	}
	return ForUser(name, uid, gid, files)
}

// ForUser builds the Mapping for the given user from the subordinate ID
// files (matched by name or uid, in both files, as newuidmap and newgidmap
// do).
func ForUser(name string, uid, gid int, files Files) (Mapping, error) {
	if files.SubUID == "" {
		files.SubUID = SubUIDFile
	}
	if files.SubGID == "" {
		files.SubGID = SubGIDFile
	}
	label := name
	if label == "" {
		label = strconv.Itoa(uid)
	}
	subuid, err := readSubIDs(files.SubUID, "uid", label, uid)
	if err != nil {
		return Mapping{}, err
	}
	subgid, err := readSubIDs(files.SubGID, "gid", label, uid)
	if err != nil {
		return Mapping{}, err
	}
	return NewMapping(name, uid, gid, subuid, subgid), nil
}

// NewMapping lays out the namespace: `0 <uid> 1`, then each subordinate
// range in order from inner ID 1 up. A range that contains the user's own
// ID is split around it, because that ID is already mapped to 0 and
// newuidmap refuses a host ID mapped twice (rootlesskit does the same, so the
// recorded map equals what the kernel holds).
func NewMapping(name string, uid, gid int, subuid, subgid []Range) Mapping {
	return Mapping{
		User:    name,
		HostUID: uid,
		HostGID: gid,
		UIDs:    layout(uid, subuid),
		GIDs:    layout(gid, subgid),
	}
}

func layout(self int, ranges []Range) []IDMap {
	m := []IDMap{{ContainerID: 0, HostID: self, Size: 1}}
	next := 1
	for _, r := range withoutID(ranges, self) {
		m = append(m, IDMap{ContainerID: next, HostID: r.Start, Size: r.Length})
		next += r.Length
	}
	return m
}

func withoutID(ranges []Range, id int) []Range {
	var out []Range
	for _, r := range ranges {
		if id < r.Start || id >= r.Start+r.Length {
			out = append(out, r)
			continue
		}
		if head := id - r.Start; head > 0 {
			out = append(out, Range{Start: r.Start, Length: head})
		}
		if tail := r.Start + r.Length - id - 1; tail > 0 {
			out = append(out, Range{Start: id + 1, Length: tail})
		}
	}
	return out
}

// Args returns the "inner outer size" triples for newuidmap/newgidmap.
func Args(maps []IDMap) []string {
	args := make([]string, 0, 3*len(maps))
	for _, m := range maps {
		args = append(args, strconv.Itoa(m.ContainerID), strconv.Itoa(m.HostID), strconv.Itoa(m.Size))
	}
	return args
}

// Format renders maps as the kernel shows them in /proc/PID/uid_map, one
// "inner outer size" line each (without the kernel's column padding).
func Format(maps []IDMap) string {
	var b strings.Builder
	for _, m := range maps {
		fmt.Fprintf(&b, "%d %d %d\n", m.ContainerID, m.HostID, m.Size)
	}
	return b.String()
}

// ParseIDMap parses the content of /proc/PID/uid_map or gid_map.
func ParseIDMap(content string) ([]IDMap, error) {
	var maps []IDMap
	for _, line := range strings.Split(content, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("id map line %q: want 3 fields", line)
		}
		var v [3]int
		for i, s := range f {
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("id map line %q: %w", line, err)
			}
			v[i] = int(n)
		}
		maps = append(maps, IDMap{ContainerID: v[0], HostID: v[1], Size: v[2]})
	}
	return maps, nil
}
