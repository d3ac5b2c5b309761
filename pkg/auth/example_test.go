package auth_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hutchctr/hutch/pkg/auth"
)

func ExampleReadPassword() {
	// login --password-stdin: only the one trailing newline is dropped.
	pw, err := auth.ReadPassword(strings.NewReader("correct horse \n"))
	fmt.Printf("%q %v\n", pw, err)
	// Output: "correct horse " <nil>
}

func ExampleStore_Login() {
	dir, _ := os.MkdirTemp("", "auth-example")
	defer os.RemoveAll(dir)
	s := auth.FromFile(filepath.Join(dir, "hutch", "auth.json"))
	ctx := context.Background()
	// A real caller passes a function that pings the registry's /v2/.
	if err := s.Login(ctx, "127.0.0.1:5000", "alice", "s3cret", nil); err != nil {
		fmt.Println(err)
		return
	}
	c, _ := s.Lookup(ctx, "127.0.0.1:5000")
	fmt.Println(c.Username, strings.Contains(fmt.Sprint(c), "s3cret"))
	fmt.Println(s.Logout(ctx, "127.0.0.1:5000"), s.Logout(ctx, "127.0.0.1:5000"))
	// Output:
	// alice false
	// <nil> not logged in to 127.0.0.1:5000
}
