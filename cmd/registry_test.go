package cmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hutchctr/hutch/pkg/engine"
	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestNewCmdPull(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *pullOptions
		wantErr bool
	}{
		{"defaults", []string{"alpine"}, &pullOptions{Ref: "alpine"}, false},
		{"all flags", []string{"-q", "--platform", "linux/arm64", "--tls-verify=false", "--creds", "u:p:w", "--authfile", "a.json", "r/x:1"},
			&pullOptions{Ref: "r/x:1", Quiet: true, Pull: engine.PullOptions{
				Platform: "linux/arm64", TLSVerify: ptr(false), Creds: "u:p:w", AuthFile: "a.json"}}, false},
		{"tls-verify given true", []string{"--tls-verify", "x"}, &pullOptions{Ref: "x", Pull: engine.PullOptions{TLSVerify: ptr(true)}}, false},
		{"no image", nil, nil, true},
		{"two images", []string{"a", "b"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newPullCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
	// --creds without a password asks on the terminal; there is none here.
	ios, _, _, _ := testIO()
	if _, err := parse(t, newPullCmd, ios, []string{"--creds", "u", "x"}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("creds without password and terminal: %v, want ErrInvalidArgument", err)
	}
}

func TestPullRun(t *testing.T) {
	tests := []struct {
		name         string
		quiet, tty   bool
		wantProgress bool
	}{
		{"terminal shows progress", false, true, true},
		{"quiet terminal", true, true, false},
		{"not a terminal", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := testIO()
			ios.SetStderrTTY(tt.tty)
			fake := newFake3()
			fake.id = "0d199a04cdd03f4f86d186a5a87519d4d4d77ac0a97ea3e2319596622845711e"
			opts := pullOptions{IO: ios, Engine: use3[pullEngine](fake), Ref: "alpine", Quiet: tt.quiet}
			code := reportError(errOut, nil, runPull(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), 0, fake.id+"\n", "")
			if got := fake.pull.Progress != nil && fake.pull.Terminal; got != tt.wantProgress {
				t.Errorf("progress on a terminal = %t, want %t", got, tt.wantProgress)
			}
		})
	}
	// Errors are one line, exit 125.
	ios, _, out, errOut := testIO()
	fake := newFake3()
	fake.errs = map[string]error{"Pull nope": errdefs.Errorf(errdefs.ErrNotFound, "image docker.io/library/nope:latest: not found in registry docker.io")}
	code := reportError(errOut, nil, runPull(context.Background(), &pullOptions{IO: ios, Engine: use3[pullEngine](fake), Ref: "nope"}))
	checkOutput(t, code, out.String(), errOut.String(), 125, "", "Error: image docker.io/library/nope:latest: not found in registry docker.io\n")
}

func TestNewCmdPush(t *testing.T) {
	ios, _, _, _ := testIO()
	got, err := parse(t, newPushCmd, ios, []string{"--tls-verify=false", "--sign-by-sigstore-key", "k.pem", "--digestfile", "d", "bb", "127.0.0.1:5000/bb:1"})
	checkParse(t, got, err, &pushOptions{Src: "bb", Dest: "127.0.0.1:5000/bb:1", DigestFile: "d",
		Push: engine.PushOptions{TLSVerify: ptr(false), SignBySigstoreKey: "k.pem"}}, false)
	_, err = parse(t, newPushCmd, ios, []string{"a", "b", "c"})
	checkParse[pushOptions](t, nil, err, nil, true)
}

func TestPushRunWritesDigestFile(t *testing.T) {
	ios, _, out, errOut := testIO()
	fake := newFake3()
	fake.digest = "sha256:60509c217d2a36dc0f679858155b9748b1fc41afcc857254432695088815bbdc"
	path := filepath.Join(t.TempDir(), "digest")
	opts := pushOptions{IO: ios, Engine: use3[pushEngine](fake), Src: "bb", DigestFile: path}
	code := reportError(errOut, nil, runPush(context.Background(), &opts))
	checkOutput(t, code, out.String(), errOut.String(), 0, "", "")
	if b, err := os.ReadFile(path); err != nil || string(b) != fake.digest {
		t.Errorf("digest file: %q, %v", b, err)
	}
	if diff := cmp.Diff(fake.calls, []string{"Push bb "}); diff != "" {
		t.Errorf("calls (-got +want):\n%s", diff)
	}
}

func TestNewCmdLogin(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    *loginOptions
		wantErr bool
	}{
		{"flags", []string{"-u", "me", "-p", "pw", "--tls-verify=false", "--authfile", "a.json", "127.0.0.1:5000"},
			&loginOptions{Registry: "127.0.0.1:5000", Login: engine.LoginOptions{Username: "me", Password: "pw", TLSVerify: ptr(false), AuthFile: "a.json"}}, false},
		{"password stdin", []string{"-u", "me", "--password-stdin", "r"},
			&loginOptions{Registry: "r", PasswordStdin: true, Login: engine.LoginOptions{Username: "me"}}, false},
		{"password stdin needs a user", []string{"--password-stdin", "r"}, nil, true},
		{"password and password stdin", []string{"-u", "me", "-p", "x", "--password-stdin", "r"}, nil, true},
		{"no registry", []string{"-u", "me"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := testIO()
			got, err := parse(t, newLoginCmd, ios, tt.args)
			checkParse(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestLoginRun(t *testing.T) {
	tests := []struct {
		name                string
		opts                loginOptions
		stdin               string
		errs                map[string]error
		wantPassword        string
		wantCode            int
		wantOut, wantErrOut string
	}{
		{"password stdin", loginOptions{Registry: "r", PasswordStdin: true, Login: engine.LoginOptions{Username: "me"}},
			"s3cret\n", nil, "s3cret", 0, "Login Succeeded!\n", ""},
		{"password flag", loginOptions{Registry: "r", Login: engine.LoginOptions{Username: "me", Password: "pw"}},
			"", nil, "pw", 0, "Login Succeeded!\n", ""},
		{"no terminal to ask", loginOptions{Registry: "r", Login: engine.LoginOptions{Username: "me"}},
			"", nil, "", 125, "", "Error: a password is needed and stdin is not a terminal to ask for it: use --password-stdin or give it in the flag\n"},
		{"refused", loginOptions{Registry: "r", Login: engine.LoginOptions{Username: "me", Password: "bad"}},
			"", map[string]error{"Login r": errdefs.Errorf(errdefs.ErrPermission, "log in to r as \"me\": unauthorized")},
			"bad", 125, "", "Error: log in to r as \"me\": unauthorized\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, out, errOut := testIO()
			in.WriteString(tt.stdin)
			fake := newFake3()
			fake.errs = tt.errs
			opts := tt.opts
			opts.IO, opts.Engine = ios, use3[loginEngine](fake)
			code := reportError(errOut, nil, runLogin(context.Background(), &opts))
			checkOutput(t, code, out.String(), errOut.String(), tt.wantCode, tt.wantOut, tt.wantErrOut)
			if fake.login.Password != tt.wantPassword {
				t.Errorf("engine got password %q, want %q", fake.login.Password, tt.wantPassword)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	ios, _, _, _ := testIO()
	got, err := parse(t, newLogoutCmd, ios, []string{"-a", "--authfile", "a.json"})
	checkParse(t, got, err, &logoutOptions{Logout: engine.LogoutOptions{All: true, AuthFile: "a.json"}}, false)
	for _, args := range [][]string{nil, {"-a", "r"}, {"r", "s"}} {
		_, err := parse(t, newLogoutCmd, ios, args)
		checkParse[logoutOptions](t, nil, err, nil, true)
	}
	tests := []struct {
		opts    logoutOptions
		wantOut string
	}{
		{logoutOptions{Registry: "127.0.0.1:5000"}, "Removed login credentials for 127.0.0.1:5000\n"},
		{logoutOptions{Logout: engine.LogoutOptions{All: true}}, "Removed login credentials for all registries\n"},
	}
	for _, tt := range tests {
		ios, _, out, errOut := testIO()
		opts := tt.opts
		opts.IO, opts.Engine = ios, use3[logoutEngine](newFake3())
		code := reportError(errOut, nil, runLogout(context.Background(), &opts))
		checkOutput(t, code, out.String(), errOut.String(), 0, tt.wantOut, "")
	}
}

func TestNewCmdSign(t *testing.T) {
	ios, _, _, _ := testIO()
	got, err := parse(t, newSignCmd, ios, []string{"--sign-by-sigstore-key", "k.pem", "--tls-verify=false", "r/a:1", "r/b:2"})
	checkParse(t, got, err, &signOptions{Refs: []string{"r/a:1", "r/b:2"}, Sign: engine.SignOptions{Key: "k.pem", TLSVerify: ptr(false)}}, false)
	got, err = parse(t, newSignCmd, ios, []string{"--key", "k.pem", "r/a:1"})
	checkParse(t, got, err, &signOptions{Refs: []string{"r/a:1"}, Sign: engine.SignOptions{Key: "k.pem"}}, false)
	_, err = parse(t, newSignCmd, ios, []string{"r/a:1"})
	checkParse[signOptions](t, nil, err, nil, true)
	// An encrypted key's password is asked on a terminal, and only there.
	ios.SetStdinTTY(true)
	got, err = parse(t, newSignCmd, ios, []string{"--key", "k.pem", "r/a:1"})
	if err != nil || got.Sign.KeyPassword == nil {
		t.Errorf("on a terminal: KeyPassword is nil (err %v), want a prompt", err)
	}
	gotPush, err := parse(t, newPushCmd, ios, []string{"--sign-by-sigstore-key", "k.pem", "bb"})
	if err != nil || gotPush.Push.KeyPassword == nil {
		t.Errorf("push on a terminal: KeyPassword is nil (err %v), want a prompt", err)
	}
	ios.SetStdinTTY(false)

	fake := newFake3()
	if err := runSign(context.Background(), &signOptions{Engine: use3[signEngine](fake), Refs: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fake.calls, []string{"SignImage a", "SignImage b"}); diff != "" {
		t.Errorf("calls (-got +want):\n%s", diff)
	}
}
