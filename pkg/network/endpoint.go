package network

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Endpoint is a container attached to a network, as Setup records it in
// <name>/endpoints/<id>.json (and Teardown removes it): what the DNS
// responder answers and `network inspect` lists.
type Endpoint struct {
	ContainerID string `json:"container_id"`
	// Name is the container's name; Aliases its --network-alias names on
	// this network.
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	// Interface is the container's interface (eth0, eth1…), MAC its
	// address.
	Interface string `json:"interface"`
	MAC       string `json:"mac_address,omitempty"`
	// Addrs are the container's addresses with their prefix length.
	Addrs []netip.Prefix `json:"addresses"`
	// Gateway is the default gateway on this network (invalid: none).
	Gateway netip.Addr `json:"gateway,omitempty"`
}

func (s *Store) endpointPath(network, id string) string {
	return filepath.Join(s.Dir(network), endpointsDir, id+".json")
}

// WriteEndpoint records e on the network (atomically, replacing an older
// record of the same container).
func (s *Store) WriteEndpoint(network string, e Endpoint) error {
	if err := writeJSON(s.endpointPath(network, e.ContainerID), &e); err != nil {
		return fmt.Errorf("network %q: endpoint of %s: %w", network, shortID(e.ContainerID), err)
	}
	return nil
}

// RemoveEndpoint deletes the container's record on the network, if any.
func (s *Store) RemoveEndpoint(network, containerID string) error {
	err := os.Remove(s.endpointPath(network, containerID))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("network %q: endpoint of %s: %w", network, shortID(containerID), err)
	}
	return nil
}

// Endpoints returns the network's endpoints whose container is alive (the
// Store's Options.Alive), sorted by container name.
func (s *Store) Endpoints(network string) ([]Endpoint, error) {
	dir := filepath.Join(s.Dir(network), endpointsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("network %q: endpoints: %w", network, err)
	}
	var out []Endpoint
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(id, ".") || !s.alive(id) {
			continue
		}
		var ep Endpoint
		if err := readJSON(filepath.Join(dir, e.Name()), &ep); err != nil {
			continue // removed meanwhile
		}
		out = append(out, ep)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// reclaimEndpoints removes the endpoints of containers that are not alive.
func (s *Store) reclaimEndpoints(network string) error {
	entries, err := os.ReadDir(filepath.Join(s.Dir(network), endpointsDir))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("network %q: endpoints: %w", network, err)
	}
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".json"); ok && !strings.HasPrefix(id, ".") && !s.alive(id) {
			if err := s.RemoveEndpoint(network, id); err != nil {
				return err
			}
		}
	}
	return nil
}
