package cmd

import (
	"context"
	"fmt"
	"testing"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestWait(t *testing.T) {
	ios, _, _, _ := testIO()
	got, err := parse(t, newWaitCmd, ios, []string{"a", "b"})
	checkParse(t, got, err, &waitOptions{Refs: []string{"a", "b"}}, false)
	_, err = parse(t, newWaitCmd, ios, nil)
	checkParse[waitOptions](t, nil, err, nil, true)

	ios, _, out, errOut := testIO()
	fake := &fakeEngine{exitCodes: map[string]int{"a": 0, "c": 137},
		errs: map[string]error{"Wait b": fmt.Errorf("container %q: %w", "b", errdefs.ErrNotFound)}}
	opts := &waitOptions{IO: ios, Engine: use[waitEngine](fake), Refs: []string{"a", "b", "c"}}
	code := reportError(errOut, nil, runWait(context.Background(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 125, "0\n137\n", "Error: container \"b\": not found\n")
}

func TestRename(t *testing.T) {
	ios, _, _, _ := testIO()
	got, err := parse(t, newRenameCmd, ios, []string{"old", "new"})
	checkParse(t, got, err, &renameOptions{Ref: "old", NewName: "new"}, false)
	_, err = parse(t, newRenameCmd, ios, []string{"old"})
	checkParse[renameOptions](t, nil, err, nil, true)

	ios, _, out, errOut := testIO()
	fake := &fakeEngine{errs: map[string]error{"Rename old taken": fmt.Errorf("name %q: %w", "taken", errdefs.ErrAlreadyExists)}}
	opts := &renameOptions{IO: ios, Engine: use[renameEngine](fake), Ref: "old", NewName: "taken"}
	code := reportError(errOut, nil, runRename(context.Background(), opts))
	checkOutput(t, code, out.String(), errOut.String(), 125, "", "Error: name \"taken\": already exists\n")
}
