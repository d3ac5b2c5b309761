// Package logfile writes and reads container logs in the k8s-file format
// that Podman and CRI-O use, one record per line of output:
//
//	2026-11-28T19:40:58.123456789Z stdout F hello world
//	2026-11-28T19:40:58.123460000Z stderr P a line cut short by a chunk bou
//	2026-11-28T19:40:58.223460000Z stderr F ndary
//
// The fields are the time the chunk was read (RFC 3339, nanoseconds, UTC),
// the stream, a tag (F: the record ends a line, P: a partial line continued
// by the next record of the same stream) and the text without its newline.
// Writer is used by the container's monitor; Read by `hutch logs`.
package logfile
