package monitor

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutchctr/hutch/pkg/ns"
)

// The fake runtime starts the spec's process as an ordinary child, through
// a re-exec of the test binary (role fakeinit) that waits for "go" like
// ns's init and reports an execve failure as an errno. It has no
// namespaces and ignores the rootfs.
const (
	fakeRuntimeEnv = "_HUTCH_TEST_FAKE_RUNTIME"
	fakeInitRole   = "fakeinit"
	fakeProcEnv    = "_HUTCH_TEST_FAKE_PROCESS"
)

// Special commands the fake understands.
const (
	fakeFailStart = "fake-fail-start" // Start returns an error
	fakeHangStart = "fake-hang-start" // Start blocks for 30 s
)

type fakeRuntime struct{}

type fakeInit struct {
	cmd     *exec.Cmd
	console *os.File
	goW     *os.File // written to let the process exec
	errnoR  *os.File // errno of a failed execve; EOF on success
	path    string
}

func (fakeRuntime) Start(cfg ns.Config) (initProcess, error) {
	p := cfg.Spec.Process
	switch p.Args[0] {
	case fakeFailStart:
		return nil, fmt.Errorf("mount /etc/hosts: %w", syscall.EPERM)
	case fakeHangStart:
		time.Sleep(30 * time.Second)
	}
	doc, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	goR, goW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errnoR, errnoW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer goR.Close()
	defer errnoW.Close()
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = append(os.Environ(), "_HUTCH_ROLE="+fakeInitRole, fakeProcEnv+"="+string(doc))
	cmd.ExtraFiles = []*os.File{goR, errnoW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	f := &fakeInit{cmd: cmd, goW: goW, errnoR: errnoR, path: p.Args[0]}
	var slave *os.File
	if p.Terminal {
		if f.console, slave, err = pty.Open(); err != nil {
			return nil, err
		}
		defer slave.Close()
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr.Setsid, cmd.SysProcAttr.Setctty = true, true
	} else {
		// Typed nils would not mean /dev/null to exec.Cmd.
		if cfg.Stdin != nil {
			cmd.Stdin = cfg.Stdin
		}
		if cfg.Stdout != nil {
			cmd.Stdout = cfg.Stdout
		}
		if cfg.Stderr != nil {
			cmd.Stderr = cfg.Stderr
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if cfg.Place != nil { // the process waits for "go": as ns's init waits for its bootstrap
		if err := cfg.Place(cmd.Process.Pid); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			goW.Close()
			errnoR.Close()
			return nil, err
		}
	}
	return f, nil
}

func (f *fakeInit) Pid() int          { return f.cmd.Process.Pid }
func (f *fakeInit) Console() *os.File { return f.console }

func (f *fakeInit) Exec() error {
	defer f.errnoR.Close()
	f.goW.Write([]byte{1})
	f.goW.Close()
	var b [4]byte
	if n, _ := f.errnoR.Read(b[:]); n != 4 {
		return nil
	}
	return &ns.ExecError{Path: f.path, Errno: syscall.Errno(binary.BigEndian.Uint32(b[:]))}
}

func (f *fakeInit) Wait() (syscall.WaitStatus, error) {
	err := f.cmd.Wait()
	if f.cmd.ProcessState == nil {
		return 0, err
	}
	return f.cmd.ProcessState.Sys().(syscall.WaitStatus), nil
}

// fakeInitMain is the fake init: wait for "go", then exec like execvp.
func fakeInitMain() int {
	unix.CloseOnExec(4) // EOF for the parent when execve succeeds
	var b [1]byte
	if n, _ := os.NewFile(3, "go").Read(b[:]); n != 1 {
		return 1
	}
	var p specs.Process
	if err := json.Unmarshal([]byte(os.Getenv(fakeProcEnv)), &p); err != nil {
		return 1
	}
	if p.Cwd != "" {
		os.Chdir(p.Cwd)
	}
	err := execvp(p.Args, p.Env)
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		errno = syscall.EINVAL
	}
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], uint32(errno))
	os.NewFile(4, "errno").Write(out[:])
	return 127
}

func execvp(args, env []string) error {
	if strings.Contains(args[0], "/") {
		return unix.Exec(args[0], args, env)
	}
	path := "/usr/local/bin:/usr/bin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	err := error(syscall.ENOENT)
	for _, dir := range filepath.SplitList(path) {
		if e := unix.Exec(filepath.Join(dir, args[0]), args, env); !errors.Is(e, syscall.ENOENT) {
			err = e
		}
	}
	return err
}
