package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hutchctr/hutch/internal/testutil"
	"github.com/opencontainers/go-digest"
	"go.podman.io/storage"
	drivers "go.podman.io/storage/drivers"
)

// lockLosingStore fails its first PrepareStagedLayer calls the way the
// overlay driver does when another process's store shutdown locked the
// new staging directory first: before the differ is called.
type lockLosingStore struct {
	storage.Store
	failures int
	err      error
}

func (s *lockLosingStore) PrepareStagedLayer(o *drivers.ApplyDiffWithDifferOpts, d drivers.Differ) (*drivers.DriverWithDifferOutput, error) {
	if s.failures > 0 {
		s.failures--
		return nil, s.err
	}
	return s.Store.PrepareStagedLayer(o, d)
}

// TestStageLayerRetriesLostStagingLock: a staging directory lost before
// the differ ran is retried (the blob is untouched); other failures are
// not.
func TestStageLayerRetriesLostStagingLock(t *testing.T) {
	testutil.Requires(t, testutil.Root(), inPrivateMountNS())
	dir := t.TempDir()
	s, err := Open(Options{GraphRoot: filepath.Join(dir, "graph"), RunRoot: filepath.Join(dir, "run")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	layer := testutil.MustTar(testutil.Entry{Name: "f", Body: []byte("content")})
	chk := layerCheck{blobSize: -1, diffID: digest.FromBytes(layer)}
	lost := fmt.Errorf("failed to acquire lock on %q: %w", "staging.lock", syscall.EAGAIN)
	tests := []struct {
		name     string
		failures int
		err      error
		wantErr  bool
	}{
		{"lock lost twice", 2, lost, false},
		{"directory pruned", 1, fmt.Errorf("mkdir: %w", syscall.ENOENT), false},
		{"lost every time", 10, lost, true},
		{"another failure", 1, errors.New("disk on fire"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &lockLosingStore{Store: s.st, failures: tt.failures, err: tt.err}
			sl, err := stageLayer(context.Background(), st, bytes.NewReader(layer), chk)
			if (err != nil) != tt.wantErr {
				t.Fatalf("stageLayer: %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				if sl.out.UncompressedDigest != chk.diffID {
					t.Errorf("staged digest %s, want %s", sl.out.UncompressedDigest, chk.diffID)
				}
				discardStaged(s.st, sl)
			}
		})
	}
}
