package slirp

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rootless-containers/rootlesskit/v3/pkg/child"
	"github.com/rootless-containers/rootlesskit/v3/pkg/network/slirp4netns"
	"github.com/rootless-containers/rootlesskit/v3/pkg/parent"
	builtinport "github.com/rootless-containers/rootlesskit/v3/pkg/port/builtin"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/userns"
)

// HolderMain is the "holder" role: the holder's parent, which stays in the
// host namespaces, creates the child in new user and mount namespaces
// (rootlesskit maps it with newuidmap/newgidmap) and lives as long as it.
// It returns the process exit code.
func HolderMain() int {
	// rootlesskit re-executes /proc/self/exe for its child with our
	// environment; the pipe variable tells the two apart.
	if os.Getenv(envPipeFD) != "" {
		return HolderChildMain()
	}
	if err := runHolderParent(); err != nil {
		fmt.Fprintf(os.Stderr, "[hutch:holder] %v\n", err)
		return 1
	}
	return 0
}

func runHolderParent() error {
	dir := os.Getenv(envStateDir)
	m, err := userns.ForUID(os.Getuid(), userns.Files{})
	if err != nil {
		return err
	}
	allowLoopback := os.Getenv(envHostLoopback) == "1"
	rec := record{Version: os.Getenv(envVersion), PID: os.Getpid(), UIDMap: m.UIDs, GIDMap: m.GIDs,
		AllowHostLoopback: allowLoopback, Created: time.Now().UTC()}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, recordName), b, 0o600); err != nil {
		return fmt.Errorf("record holder: %w", err)
	}
	// The lifeline's write end lives only here. The pause process watches
	// the read end, so if this process is SIGKILLed the pause process (and
	// with it the child) exits instead of keeping orphaned namespaces: the
	// child's Pdeathsig does not survive its re-exec to gain capabilities.
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer w.Close()
	// F_DUPFD gives a descriptor without close-on-exec, numbered above
	// the ones exec.Cmd assigns to ExtraFiles, so that it is inherited.
	fd, err := unix.FcntlInt(r.Fd(), unix.F_DUPFD, 64)
	if err != nil {
		return fmt.Errorf("holder lifeline: %w", err)
	}
	r.Close()
	os.Setenv(envLifeline, strconv.Itoa(fd))
	os.Setenv(envRole, "holder-child")
	os.Setenv("PATH", withSbin(os.Getenv("PATH")))
	netDriver, portDriver, err := holderDrivers(dir, allowLoopback)
	if err != nil {
		return err
	}
	err = parent.Parent(parent.Opt{
		PipeFDEnvKey:             envPipeFD,
		ChildUseActivationEnvKey: envActivation,
		StateDir:                 dir,
		StateDirEnvKey:           envStateDir,
		NetworkDriver:            netDriver,
		PortDriver:               portDriver,
		// Detached: N is a namespace of its own, bind-mounted in M,
		// instead of the child's. So the child, the pause process and
		// every command joined into U+M stay in the host's network
		// namespace (--network host means the user's real one, image
		// pulls resolve names with the host's /etc/resolv.conf), and M
		// gets no sysfs or resolv.conf mounts for N.
		DetachNetNS: true,
		Propagation: "rslave",
		SubidSource: parent.SubidSourceStatic, // the files userns reads
	})
	runtime.KeepAlive(w)
	return err
}

// HolderChildMain is the "holder-child" role. With rootlesskit's pipe in
// the environment it is the holder's child, in the new user and mount
// namespaces; rootlesskit removes the pipe variable before starting its
// target command, so without it this process is that target: the pause
// process.
func HolderChildMain() int {
	if filepath.Base(os.Args[0]) == "unshare" {
		return unshareMain(os.Args[1:])
	}
	if os.Getenv(envPipeFD) == "" {
		return PauseMain()
	}
	err := child.Child(child.Opt{
		PipeFDEnvKey:              envPipeFD,
		RunActivationHelperEnvKey: envActHelper,
		ChildUseActivationEnvKey:  envActivation,
		StateDirEnvKey:            envStateDir,
		TargetCmd:                 []string{"/proc/self/exe"},
		NetworkDriver:             childNetwork{slirp4netns.NewChildDriver()},
		DetachNetNS:               true,
		PortDriver:                builtinport.NewChildDriver(os.Stderr),
		// rslave: mounts made on the host later still appear in M.
		Propagation: "rslave",
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "[hutch:holder-child] %v\n", err)
		return 1
	}
	return 0
}

// PauseMain is the "pause" role: it only keeps the holder's namespaces
// alive. As the holder's target command it first marks the holder ready
// (rootlesskit starts it once N is configured). It exits 0 on SIGTERM or
// SIGINT, or when the holder's parent dies (end of file on the lifeline).
func PauseMain() int {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	if dir := os.Getenv(envStateDir); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, readyName), nil, 0o600); err != nil {
			fmt.Fprintf(os.Stderr, "[hutch:pause] %v\n", err)
			return 1
		}
	}
	gone := make(chan struct{})
	if fd, err := strconv.Atoi(os.Getenv(envLifeline)); err == nil {
		go func() {
			_, _ = io.Copy(io.Discard, os.NewFile(uintptr(fd), "lifeline"))
			close(gone)
		}()
	}
	select {
	case <-sig:
	case <-gone:
	}
	return 0
}

// withSbin appends the sbin directories to a PATH that lacks them.
func withSbin(path string) string {
	for _, d := range strings.Split(sbinPath, ":") {
		if !slices.Contains(filepath.SplitList(path), d) {
			path += string(filepath.ListSeparator) + d
		}
	}
	return strings.TrimPrefix(path, string(filepath.ListSeparator))
}
