// Package report renders hutch's command output: the default tables,
// `--format json` and `--format yaml` (same field names as the JSON), and
// Go templates, both plain ("{{.Names}} {{.Status}}", one line per item)
// and tabular ("table {{.ID}}\t{{.Image}}", a header row derived from the
// field names and columns aligned like Podman's). It also holds the human
// renderings of durations, sizes and IDs that tables use.
//
// Listings (ps, images) marshal the engine's structs for json and yaml, and
// feed templates a view struct whose fields are already formatted strings,
// so that `{{.Status}}` reads "Up 5 seconds" while the JSON keeps raw data.
package report
