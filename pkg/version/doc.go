// Package version holds hutch's build identity. Version, GitCommit and
// BuildTime are set at link time:
//
//	go build -ldflags "-X github.com/hutchctr/hutch/pkg/version.GitCommit=$(git rev-parse HEAD) \
//	    -X github.com/hutchctr/hutch/pkg/version.BuildTime=$(date +%s)"
package version
