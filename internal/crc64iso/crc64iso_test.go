package crc64iso

import (
	"bytes"
	"hash/crc64"
	"math/rand/v2"
	"testing"
)

// TestMatchesHashCRC64 compares with the standard library on every length
// up to 300 bytes from random offsets, on long inputs, and on writes split
// at random points.
func TestMatchesHashCRC64(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1<<20+13)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	tab := crc64.MakeTable(crc64.ISO)
	check := func(name string, p []byte) {
		t.Helper()
		if got, want := Update(0, p), crc64.Checksum(p, tab); got != want {
			t.Errorf("%s (%d bytes): got %#016x, want %#016x", name, len(p), got, want)
		}
	}
	for n := 0; n <= 300; n++ {
		off := rng.IntN(64)
		check("short", buf[off:off+n])
	}
	check("long", buf)
	check("zeros", make([]byte, 4096))
	check("ones", bytes.Repeat([]byte{0xff}, 4099))
	for range 50 {
		h, ref := New(), crc64.New(tab)
		for p := buf[:rng.IntN(len(buf))]; len(p) > 0; {
			k := min(len(p), rng.IntN(5000))
			h.Write(p[:k])
			ref.Write(p[:k])
			p = p[k:]
		}
		if !bytes.Equal(h.Sum(nil), ref.Sum(nil)) || h.Sum64() != ref.Sum64() {
			t.Fatalf("split writes: got %x, want %x", h.Sum(nil), ref.Sum(nil))
		}
	}
}

func BenchmarkUpdate(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		Update(0, buf)
	}
}

func BenchmarkHashCRC64(b *testing.B) {
	buf := make([]byte, 1<<20)
	tab := crc64.MakeTable(crc64.ISO)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		crc64.Update(0, tab, buf)
	}
}
