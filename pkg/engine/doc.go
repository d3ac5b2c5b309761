// Package engine is hutch's "daemon as a library": the lifecycle of
// containers and images, one file per verb. cmd/ is its only caller. The
// engine holds small consumer-side interfaces over state, storage and the
// monitor, so its logic is testable with fakes.
package engine
