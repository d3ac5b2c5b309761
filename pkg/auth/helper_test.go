package auth

import (
	"testing"

	"github.com/hutchctr/hutch/pkg/errdefs"
)

func TestLookupHelpers(t *testing.T) {
	tests := []struct {
		name          string
		hutch, docker string
		registry      string
		want          *found
		wantErr       string
		wantClass     error
	}{
		{name: "credHelpers entry", docker: `{"credHelpers":{"helper.test:5000":"test"}}`, registry: "helper.test:5000",
			want: &found{User: "hu", Password: "hpass", Source: "docker-credential-test (named in $docker)"}},
		{name: "credHelpers in hutch's file", hutch: `{"credHelpers":{"helper.test:5000":"test"}}`, registry: "helper.test:5000",
			want: &found{User: "hu", Password: "hpass", Source: "docker-credential-test (named in $hutch)"}},
		{name: "credsStore, docker hub token", docker: `{"credsStore":"test","auths":{"https://index.docker.io/v1/":{}}}`,
			registry: "index.docker.io",
			want:     &found{IdentityToken: "hubtoken", Source: "docker-credential-test (named in $docker)"}},
		{name: "credHelpers before auths", docker: `{"credHelpers":{"helper.test:5000":"test"},"auths":{"helper.test:5000":{"auth":"` + b64("a:b") + `"}}}`,
			registry: "helper.test:5000",
			want:     &found{User: "hu", Password: "hpass", Source: "docker-credential-test (named in $docker)"}},
		{name: "helper has none: auths used", docker: `{"credsStore":"test","auths":{"reg.test":{"auth":"` + b64("a:b") + `"}}}`,
			registry: "reg.test", want: &found{User: "a", Password: "b", Source: "$docker"}},
		{name: "helper has none: anonymous", docker: `{"credHelpers":{"reg.test":"test"}}`, registry: "reg.test"},
		{name: "credsStore not installed: next source", docker: `{"credsStore":"desktop"}`, registry: "reg.test"},
		{name: "credsStore failing: auths used", docker: `{"credsStore":"test","auths":{"locked.test":{"auth":"` + b64("a:b") + `"}}}`,
			registry: "locked.test", want: &found{User: "a", Password: "b", Source: "$docker"}},
		{name: "credHelpers not installed", docker: `{"credHelpers":{"reg.test":"nope"}}`, registry: "reg.test",
			wantErr: "credential helper docker-credential-nope (named in $docker) is not installed"},
		{name: "credHelpers failing", docker: `{"credHelpers":{"locked.test":"test"}}`, registry: "locked.test",
			wantErr: "credential helper docker-credential-test (named in $docker) for locked.test: exit status 1: keychain is locked"},
		{name: "credHelpers garbage", docker: `{"credHelpers":{"garbage.test":"test"}}`, registry: "garbage.test",
			wantErr: "its output is not a credentials document"},
		{name: "helper name with a path", docker: `{"credHelpers":{"reg.test":"../../bin/sh"}}`, registry: "reg.test",
			wantErr: `credential helper name "../../bin/sh" is not a program name`, wantClass: errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.installHelper(t)
			env.write(t, env.hutch, tt.hutch)
			env.write(t, env.docker, tt.docker)
			got, err := lookupFound(t, env, New(env.hutch), tt.registry)
			checkLookup(t, env, got, err, tt.want, tt.wantErr, tt.wantClass)
		})
	}
}
