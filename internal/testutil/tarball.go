package testutil

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Epoch returns the modification time of every entry the builders write, so
// that fixtures (and therefore image IDs) are reproducible.
func Epoch() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }

// Entry is one member of a tar stream built by Tar. Only Name is required;
// Type defaults to a regular file (a directory when Name ends in "/").
type Entry struct {
	Name     string
	Type     byte // tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink, ...
	Linkname string
	Mode     int64 // 0 means 0644 for files, 0755 for directories, 0777 for links
	UID, GID int
	Body     []byte
}

// Tar returns a tar stream holding entries in order, exactly as given: names
// are not cleaned, so callers can build malicious archives on purpose.
func Tar(entries ...Entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := header(e)
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar entry %q: %w", e.Name, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(e.Body); err != nil {
				return nil, fmt.Errorf("tar entry %q: %w", e.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func header(e Entry) *tar.Header {
	typ := e.Type
	if typ == 0 {
		typ = tar.TypeReg
		if len(e.Name) > 0 && e.Name[len(e.Name)-1] == '/' {
			typ = tar.TypeDir
		}
	}
	mode := e.Mode
	if mode == 0 {
		switch typ {
		case tar.TypeDir:
			mode = 0o755
		case tar.TypeSymlink, tar.TypeLink:
			mode = 0o777
		default:
			mode = 0o644
		}
	}
	h := &tar.Header{
		Name: e.Name, Typeflag: typ, Linkname: e.Linkname, Mode: mode,
		Uid: e.UID, Gid: e.GID, ModTime: Epoch(), Format: tar.FormatPAX,
	}
	if typ == tar.TypeReg {
		h.Size = int64(len(e.Body))
	}
	return h
}

// MustTar is Tar for fixed inputs known to be valid; it panics on error.
func MustTar(entries ...Entry) []byte {
	b, err := Tar(entries...)
	if err != nil {
		panic(err)
	}
	return b
}

// Gzip compresses b.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b) // writes to a bytes.Buffer cannot fail
	_ = zw.Close()
	return buf.Bytes()
}

// Digest returns the "sha256:<hex>" digest of b.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Hex returns the hex sha256 of b (a digest without its algorithm).
func Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
