package testutil

import (
	"archive/tar"
	"strings"
)

// NamedLayer is a layer tar with a name for table-driven tests.
type NamedLayer struct {
	Name string
	Tar  []byte
}

// EscapingLayers returns layer tars whose entries try to write outside the
// root filesystem they are extracted into. outside is an absolute directory
// the test owns (a sentinel): a correct extractor creates nothing in it. The
// relative variants climb with enough "../" to reach the host root first.
func EscapingLayers(outside string) []NamedLayer {
	outside = strings.TrimSuffix(outside, "/")
	climb := strings.Repeat("../", 40) + strings.TrimPrefix(outside, "/")
	sym := func(name, target string) Entry { return Entry{Name: name, Type: tar.TypeSymlink, Linkname: target} }
	hard := func(name, target string) Entry { return Entry{Name: name, Type: tar.TypeLink, Linkname: target} }
	file := func(name string) Entry { return Entry{Name: name, Body: []byte("pwned\n")} }
	return []NamedLayer{
		{"dotdot", MustTar(file("../pwned"))},
		{"dotdot-deep", MustTar(file("../../../../../../../../.." + outside + "/pwned"))},
		{"dotdot-nested", MustTar(Entry{Name: "a/"}, file("a/../../pwned"))},
		{"symlink-absolute-traversal", MustTar(sym("evil", outside), file("evil/pwned"))},
		{"symlink-etc-traversal", MustTar(sym("evil", "/etc"), file("evil/passwd"))},
		{"symlink-relative-traversal", MustTar(sym("evil", climb), file("evil/pwned"))},
		{"symlink-nested-traversal", MustTar(Entry{Name: "d/"}, sym("d/evil", climb), file("d/evil/sub/pwned"))},
		{"symlink-dir-as-parent", MustTar(sym("evil", outside), Entry{Name: "evil/sub/"})},
		{"dir-replaced-by-symlink", MustTar(Entry{Name: "d/"}, sym("d", outside), file("d/pwned"))},
		{"hardlink-dotdot", MustTar(hard("link", climb+"/target"))},
		{"hardlink-through-symlink", MustTar(sym("evil", outside), hard("link", "evil/target"))},
		{"symlink-through-hardlink", MustTar(sym("evil", outside), hard("alias", "evil"), file("alias/pwned"))},
	}
}

// AbsolutePathLayer returns a tar whose entry names start with "/". Like
// Docker, hutch treats them as relative to the root filesystem, so this
// layer is valid: it yields /abs/file.
func AbsolutePathLayer() []byte {
	return MustTar(Entry{Name: "/abs/"}, Entry{Name: "/abs/file", Body: []byte("absolute\n")})
}
