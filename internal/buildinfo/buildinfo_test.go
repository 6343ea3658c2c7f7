package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-11-30T09:58:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	tests := []struct {
		name    string
		bi      *debug.BuildInfo
		stamped string
		commit  string
		want    Info
		line    string
	}{
		{
			name: "a clone built with go build",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			want: Info{Version: "devel", Commit: "0123456789abcdef0123456789abcdef01234567", CommitTime: "2026-11-30T09:58:00Z",
				Dirty: true, GoVersion: "go1.26.0", Platform: "linux/arm64"},
			line: "intentrt devel commit 0123456789ab (2026-11-30T09:58:00Z) dirty go1.26.0 linux/arm64",
		},
		{
			name:    "a release: the stamped version wins over the module's",
			bi:      &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20261130095800-0123456789ab"}, Settings: vcs[:5]},
			stamped: "v1.2.3",
			want: Info{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", CommitTime: "2026-11-30T09:58:00Z",
				GoVersion: "go1.26.0", Platform: "linux/arm64"},
			line: "intentrt v1.2.3 commit 0123456789ab (2026-11-30T09:58:00Z) go1.26.0 linux/arm64",
		},
		{
			name: "go install of a tagged module, no VCS information",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.0.0"}, Settings: vcs[:2]},
			want: Info{Version: "v1.0.0", GoVersion: "go1.26.0", Platform: "linux/arm64"},
			line: "intentrt v1.0.0 commit unknown go1.26.0 linux/arm64",
		},
		{
			name:    "a container build: version and commit stamped, no .git",
			bi:      &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: vcs[:2]},
			stamped: "v1.2.3", commit: "0123456789abcdef",
			want: Info{Version: "v1.2.3", Commit: "0123456789abcdef", GoVersion: "go1.26.0", Platform: "linux/arm64"},
			line: "intentrt v1.2.3 commit 0123456789ab go1.26.0 linux/arm64",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fromBuildInfo(tt.bi, tt.stamped, tt.commit)
			if got != tt.want {
				t.Errorf("fromBuildInfo = %+v, want %+v", got, tt.want)
			}
			if got.String() != tt.line {
				t.Errorf("String() = %q, want %q", got.String(), tt.line)
			}
		})
	}
}

func TestReadWithoutBuildInfo(t *testing.T) {
	got := fromBuildInfo(nil, "", "")
	if got.Version != "devel" || !strings.HasPrefix(got.GoVersion, "go") || got.Platform == "" {
		t.Errorf("fromBuildInfo(nil) = %+v", got)
	}
	if r := Read(); r.Version == "" || r.GoVersion == "" {
		t.Errorf("Read() = %+v", r)
	}
}
