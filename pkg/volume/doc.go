// Package volume turns the user's mount flags (-v, --tmpfs, --mount) into
// runtime-spec mounts. Named volumes come later; this version handles bind
// mounts and tmpfs.
package volume
