package userns

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

// Default paths of the subordinate ID files (see subuid(5)).
const (
	SubUIDFile = "/etc/subuid"
	SubGIDFile = "/etc/subgid"
)

// Range is a block of subordinate host IDs: Start, Start+1, ...,
// Start+Length-1.
type Range struct {
	Start, Length int
}

// ParseSubIDs returns the ranges that r (the content of the subordinate ID
// file at path, used only in messages) grants to the user, who is matched by
// name or by numeric uid, as newuidmap does. Several ranges may be returned,
// in file order. Blank lines and '#' comments are skipped. A line without
// three fields, or a matching line with bad numbers, is an error: rootlesskit
// rejects such a file as well, and the user must learn which line it is.
func ParseSubIDs(r io.Reader, path, user string, uid int) ([]Range, error) {
	uidS := strconv.Itoa(uid)
	var ranges []Range
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 3 {
			return nil, badLine(path, n, line)
		}
		if f[0] != uidS && (user == "" || f[0] != user) {
			continue
		}
		start, err1 := strconv.Atoi(f[1])
		length, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || start < 0 || length < 1 {
			return nil, badLine(path, n, line)
		}
		ranges = append(ranges, Range{Start: start, Length: length})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ranges, nil
}

func badLine(path string, n int, line string) error {
	return &setupError{msg: fmt.Sprintf("%s line %d: malformed entry %q: want \"user:start:count\"", path, n, line)}
}

// readSubIDs reads path and returns the user's ranges, or the error that
// tells an administrator how to grant some. A missing file counts as no
// range: usermod creates it.
func readSubIDs(path, kind, user string, uid int) ([]Range, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, noRange(path, kind, user)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, errdefs.ErrPermission)
	}
	defer f.Close()
	ranges, err := ParseSubIDs(f, path, user, uid)
	if err != nil {
		return nil, err
	}
	if len(ranges) == 0 {
		return nil, noRange(path, kind, user)
	}
	return ranges, nil
}

func noRange(path, kind, user string) error {
	return &setupError{msg: fmt.Sprintf(
		"no subordinate %s range for user %q in %s: ask an administrator to run %q",
		kind, user, path,
		"usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "+user)}
}

// setupError is a host set-up problem whose message already says what to do;
// it is classified as errdefs.ErrPermission without repeating that text.
type setupError struct{ msg string }

func (e *setupError) Error() string { return e.msg }

func (e *setupError) Unwrap() error { return errdefs.ErrPermission }
