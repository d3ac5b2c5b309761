// Package untar writes the entries of one image layer's tar stream into a
// directory, with the semantics of containers/storage's extraction
// (pkg/archive's Unpack with the overlay whiteout format) and without a
// chroot or a helper process.
//
// Confinement comes from the kernel: every path is resolved from a
// descriptor of the destination with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV), and every change is made with an
// *at call on the resolved parent directory and a single name. A tar entry
// therefore cannot reach outside the destination, whatever it names and
// whatever symlinks the layer planted earlier; trying to go through one is
// an error, not a silent redirection. Callers reject such layers before
// (pkg/image's validator), so this is the second line of defence.
//
// The caller owns the tar reader: it hands each header and, for regular
// files, the payload to Dir.Entry. That lets pkg/image read a layer once
// for validation, tar-split metadata, digests and extraction.
package untar
