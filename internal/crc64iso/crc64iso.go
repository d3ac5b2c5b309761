// Package crc64iso computes CRC-64/ISO, the checksum tar-split records
// for every file of a layer, several times faster than hash/crc64.
//
// The ISO polynomial is x^64 + x^4 + x^3 + x + 1. Because it is so
// sparse, x^64 ≡ x^4 + x^3 + x + 1, and eight bytes of input fold into the
// register with a handful of shifts and XORs instead of eight table
// lookups: in the reflected bit order hash/crc64 uses (register bit i is
// the coefficient of x^(63-i)), multiplying by x^k is a right shift by k.
// Results are bit-identical to hash/crc64 with crc64.MakeTable(crc64.ISO),
// which the tests check.
package crc64iso

import (
	"encoding/binary"
	"hash"
	"hash/crc64"
)

var isoTable = crc64.MakeTable(crc64.ISO)

// Update returns the CRC of p appended to data whose CRC is crc, as
// crc64.Update(crc, crc64.MakeTable(crc64.ISO), p).
func Update(crc uint64, p []byte) uint64 {
	r := ^crc
	// Two words at a time: the register's word is folded by x^128 while
	// the second word is folded by x^64, independently, so the CPU
	// overlaps them; only fold2 is on the chain from one block to the
	// next.
	for len(p) >= 16 {
		r = fold2(r^binary.LittleEndian.Uint64(p)) ^ fold(binary.LittleEndian.Uint64(p[8:]))
		p = p[16:]
	}
	for len(p) >= 8 {
		r = fold(r ^ binary.LittleEndian.Uint64(p))
		p = p[8:]
	}
	return crc64.Update(^r, isoTable, p)
}

// fold returns a·x^64 mod P for a register a: a·(x^4+x^3+x+1). Its
// terms above x^63 come only from a's lowest four bits (x^63..x^60) and
// form a polynomial of degree at most 3 times x^64, which reduces the
// same way with nothing left over; that part is looked up.
func fold(a uint64) uint64 {
	return a ^ a>>1 ^ a>>3 ^ a>>4 ^ over1[a&0xf]
}

// fold2 returns a·x^128 mod P: x^128 ≡ (x^4+x^3+x+1)² = x^8+x^6+x^2+1,
// whose overflow comes from a's lowest eight bits.
func fold2(a uint64) uint64 {
	return a ^ a>>2 ^ a>>6 ^ a>>8 ^ over2[a&0xff]
}

// over1 and over2 are the reduced overflows of fold and fold2, by the
// low bits of the register.
var (
	over1 = overflows(16, func(a uint64) uint64 { return a<<63 ^ a<<61 ^ a<<60 })
	over2 = overflows(256, func(a uint64) uint64 { return a<<62 ^ a<<58 ^ a<<56 })
)

// overflows tabulates, for each value of the low bits, the terms a shift
// pushes past x^63 (lo: bit 63 is x^64, bit 62 x^65, ...) reduced by
// x^64 ≡ x^4+x^3+x+1.
func overflows(n int, lo func(uint64) uint64) []uint64 {
	t := make([]uint64, n)
	for a := range t {
		l := lo(uint64(a))
		t[a] = l ^ l>>1 ^ l>>3 ^ l>>4
	}
	return t
}

// digest is a running CRC.
type digest struct{ crc uint64 }

// New returns a hash.Hash64 computing CRC-64/ISO; its Sum is the CRC in
// big-endian order, as hash/crc64's.
func New() hash.Hash64 { return &digest{} }

func (d *digest) Size() int      { return crc64.Size }
func (d *digest) BlockSize() int { return 1 }
func (d *digest) Reset()         { d.crc = 0 }
func (d *digest) Sum64() uint64  { return d.crc }
func (d *digest) Write(p []byte) (int, error) {
	d.crc = Update(d.crc, p)
	return len(p), nil
}
func (d *digest) Sum(in []byte) []byte { return binary.BigEndian.AppendUint64(in, d.crc) }
