// Package state keeps hutch's container records on disk, with no daemon to
// serialise access.
//
// Each container has a directory under <data>/containers/<id>/ holding
// config.json (written once, at create), state.json (rewritten on every
// transition), the container log, and two lock files:
//
//	lock          held (flock) by whoever changes the record
//	monitor.lock  held by the container's monitor for its whole life
//
// Documents are written atomically (temp file, fsync, rename, fsync of the
// directory), so a reader sees the old or the new version and never a torn
// one. Names are reserved by an O_EXCL create of <data>/names/<name>, which
// holds the owner's ID, so two concurrent creates of one name cannot both win.
//
// Nothing here starts or kills processes; the engine reconciles records whose
// monitor has died (see MonitorAlive) and removes half-created ones.
package state
