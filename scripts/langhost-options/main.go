// pulumi-language-nodejs as our CLI build installs it: the Node.js language host built from sdk v3.68.0
// (the last release that holds it as a package the module proxy serves), started with the project's
// runtime options as the flags that host reads. The v3.248.0 engine hands a language host its options
// in each request (ProgramInfo) instead, which a v3.68.0 host does not know: without this shim,
// `typescript: false`, `nodeargs` and `tsconfig` in Pulumi.yaml are silently ignored (a precompiled
// program still ran under ts-node, and a benchmark of the two forms compared ts-node with ts-node).
// The project is the one the CLI found: it starts its plugins itself, so the parent's working directory
// is where the CLI looked (the host's own is the program's `main` folder, which may lie elsewhere).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// The v3.68.0 host's file name beside this one (a name the engine never looks up); set at build time.
var realHost = "langhost-nodejs"

func main() {
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	host := filepath.Join(filepath.Dir(self), realHost)
	argv := append(append([]string{host}, optionFlags()...), os.Args[1:]...)
	fail(syscall.Exec(host, argv, os.Environ()))
}

// optionFlags: the flags of the project's runtime options; none (the host's defaults) without a project.
func optionFlags() []string {
	from, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", os.Getppid()))
	if err != nil {
		from = "."
	}
	path, err := workspace.DetectProjectPathFrom(from)
	if err != nil || path == "" {
		return nil
	}
	proj, err := workspace.LoadProject(path)
	if err != nil {
		return nil
	}
	var flags []string
	for _, name := range []string{"typescript", "nodeargs", "tsconfig"} {
		if v, ok := proj.Runtime.Options()[name]; ok {
			flags = append(flags, fmt.Sprintf("-%s=%v", name, v))
		}
	}
	return flags
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
	os.Exit(1)
}
