// Package buildinfo says which build of intentrt is running: its version, the commit it was built
// from and the Go toolchain, read from the build information the Go linker stamps into every binary.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is the release version, and commit the revision for builds without the VCS
// information Go stamps itself (a container build without .git), set when a release is built:
//
//	go build -ldflags "-X github.com/intentrt/intentrt/internal/buildinfo.version=v1.2.3" ./cmd/intentrt
//
// They are variables only because -X can set nothing else; nothing assigns them at run time.
var version, commit string

// Info describes one build.
type Info struct {
	// Version is the release version stamped with -ldflags, else the module version Go derived
	// (a tag, or a pseudo-version for a clean clone with go install), else "devel".
	Version string
	// Commit is the VCS revision the binary was built from; empty when built outside a clone
	// (or with -buildvcs=false).
	Commit string
	// CommitTime is the commit's time, RFC 3339 in UTC, as Go stamps it.
	CommitTime string
	// Dirty reports uncommitted changes in the working tree at build time.
	Dirty bool
	// GoVersion is the toolchain that built the binary, e.g. go1.26.0.
	GoVersion string
	// Platform is GOOS/GOARCH.
	Platform string
}

// Read returns the running binary's build information.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi, version, commit)
}

// fromBuildInfo combines Go's build information (nil when unavailable) with the stamped version
// and commit; Go's own VCS information wins over a stamped commit.
func fromBuildInfo(bi *debug.BuildInfo, stamped, stampedCommit string) Info {
	i := Info{Version: stamped, Commit: stampedCommit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		if i.Version == "" {
			i.Version = "devel"
		}
		return i
	}
	if bi.GoVersion != "" {
		i.GoVersion = bi.GoVersion
	}
	if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		i.Version = bi.Main.Version
	}
	if i.Version == "" {
		i.Version = "devel"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Commit = s.Value
		case "vcs.time":
			i.CommitTime = s.Value
		case "vcs.modified":
			i.Dirty = s.Value == "true"
		case "GOOS":
			i.Platform = s.Value + i.Platform[strings.Index(i.Platform, "/"):]
		case "GOARCH":
			i.Platform = i.Platform[:strings.Index(i.Platform, "/")+1] + s.Value
		}
	}
	return i
}

// String is the one line "intentrt version" prints, e.g.
// "intentrt v1.2.3 commit 0123456789ab (2026-11-30T09:58:00Z) go1.26.0 linux/amd64";
// "dirty" follows the commit time when the tree had uncommitted changes.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "intentrt %s", i.Version)
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		fmt.Fprintf(&b, " commit %s", c)
		if i.CommitTime != "" {
			fmt.Fprintf(&b, " (%s)", i.CommitTime)
		}
		if i.Dirty {
			b.WriteString(" dirty")
		}
	} else {
		b.WriteString(" commit unknown")
	}
	fmt.Fprintf(&b, " %s %s", i.GoVersion, i.Platform)
	return b.String()
}
