# hutch: build, set-up and test lanes. `make test` is what CI runs, as root
# on a fresh Debian 12 clone; see README.md.

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
export CGO_ENABLED := 1
GO ?= go
# The btrfs graph driver needs C headers we do not install. The binary stays
# dynamically linked: a static one (osusergo, netgo) would start about a
# millisecond sooner per process, but loses glibc's NSS, so rootless users
# from LDAP or SSSD could not be found by name in /etc/subuid.
export TAGS := exclude_graphdriver_btrfs,containers_image_openpgp
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/hutchctr/hutch/pkg/version.GitCommit=$(GIT_COMMIT) \
	-X github.com/hutchctr/hutch/pkg/version.BuildTime=$(shell date +%s)
LANES := unit root rootless vm
# The lane scripts call `$MAKE build`. Exported here rather than named in
# recipes, where $(MAKE) would make `make -n test` run the lanes.
export MAKE

.PHONY: all build deps test test-unit test-root test-rootless test-vm demo bench clean

all: build

build:
	$(GO) build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o bin/hutch .

# Packages, the test users and their subordinate ids, /dev/net/tun (root).
deps:
	@tests/lanes/deps.sh

# Every lane, even after one failed; the last line adds them up.
test: deps
	@rm -f bin/lanes/*.counts
	-@tests/lanes/unit.sh
	-@tests/lanes/e2e.sh root
	-@tests/lanes/e2e.sh rootless
	-@tests/lanes/vm.sh
	@tests/lanes/total.sh $(LANES)

test-unit:
	@tests/lanes/unit.sh

test-root:
	@tests/lanes/e2e.sh root

test-rootless:
	@tests/lanes/e2e.sh rootless

# cgroup v2 in a qemu guest (TCG), as root and as a user with a delegated
# subtree: tests/vm. A few minutes.
test-vm:
	@tests/lanes/vm.sh

# hutch vs Podman 4.3 side by side (root; about two minutes). Reports only.
bench: deps build
	@command -v podman >/dev/null || apt-get install -y -qq podman runc
	HUTCH=$(CURDIR)/bin/hutch bench/run.sh

demo: deps build
	@tests/lanes/demo.sh

clean:
	rm -rf bin
