// Command typecheck type-checks packages and every package they import,
// from source, for each platform given: it reports what `go build` would
// report for that platform up to the compiler's type checking (a file with
// a wrong build constraint, a function missing on one operating system, an
// API that one platform lacks), without generating code or linking, so a
// platform costs seconds instead of a full cross-compilation. It cannot
// see what only the linker sees; `make cross-all` builds the release
// binaries for that.
//
// Usage (from the module's root):
//
//	go run ./hack/typecheck [-n MAX] OS/ARCH... -- PACKAGE...
//
// The packages are listed with `go list -deps` under GOOS, GOARCH and
// CGO_ENABLED=0, as the release builds use. Exit status: 0 when every
// platform type-checks, 1 when one does not, 2 on bad usage.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("typecheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxErrs := fs.Int("n", 10, "print at most `MAX` errors per platform")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./hack/typecheck [-n MAX] OS/ARCH... -- PACKAGE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	platforms, patterns, err := splitArgs(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "typecheck: %v\n", err)
		fs.Usage()
		return 2
	}
	code := 0
	for _, p := range platforms {
		start := time.Now()
		n, errs, err := checkPlatform(p, patterns)
		if err != nil {
			fmt.Fprintf(stderr, "typecheck: %s: %v\n", p, err)
			return 2
		}
		if len(errs) == 0 {
			fmt.Fprintf(stdout, "typecheck: %s ok (%d packages, %.1f s)\n", p, n, time.Since(start).Seconds())
			continue
		}
		code = 1
		fmt.Fprintf(stderr, "typecheck: %s: %d errors:\n", p, len(errs))
		for i, e := range errs {
			if i == *maxErrs {
				fmt.Fprintf(stderr, "\t… and %d more\n", len(errs)-i)
				break
			}
			fmt.Fprintf(stderr, "\t%s\n", e)
		}
	}
	return code
}

// platform is one GOOS/GOARCH pair.
type platform struct{ goos, goarch string }

func (p platform) String() string { return p.goos + "/" + p.goarch }

// splitArgs separates "OS/ARCH..." from the packages after "--".
func splitArgs(args []string) ([]platform, []string, error) {
	var ps []platform
	for i, a := range args {
		if a == "--" {
			if len(ps) == 0 || i == len(args)-1 {
				break
			}
			return ps, args[i+1:], nil
		}
		goos, goarch, ok := strings.Cut(a, "/")
		if !ok || goos == "" || goarch == "" || strings.Contains(goarch, "/") {
			return nil, nil, fmt.Errorf("%q is not a platform: give OS/ARCH, for example windows/amd64", a)
		}
		ps = append(ps, platform{goos, goarch})
	}
	return nil, nil, errors.New("give at least one OS/ARCH, then --, then at least one package")
}

// listedPackage is the part of `go list -json` that type checking needs.
type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	ImportMap  map[string]string
	Standard   bool
	Module     *struct{ GoVersion string }
	Error      *struct{ Err string }
}

// checkPlatform type-checks patterns and their dependencies for p and
// returns how many packages it checked and the errors it found.
func checkPlatform(p platform, patterns []string) (int, []string, error) {
	pkgs, err := list(p, patterns)
	if err != nil {
		return 0, nil, err
	}
	sizes := types.SizesFor("gc", p.goarch)
	if sizes == nil {
		return 0, nil, fmt.Errorf("the gc compiler does not know the architecture %q", p.goarch)
	}
	fset := token.NewFileSet()
	checked := map[string]*types.Package{"unsafe": types.Unsafe}
	var errs []string
	n := 0
	for _, lp := range pkgs {
		if lp.ImportPath == "unsafe" {
			continue
		}
		if lp.Error != nil {
			errs = append(errs, fmt.Sprintf("%s: %s", lp.ImportPath, strings.TrimSpace(lp.Error.Err)))
			continue
		}
		files := make([]*ast.File, 0, len(lp.GoFiles))
		for _, name := range lp.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(lp.Dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			files = append(files, f)
		}
		conf := types.Config{
			Sizes:     sizes,
			GoVersion: goVersion(lp),
			Importer: importerFunc(func(path string) (*types.Package, error) {
				if mapped, ok := lp.ImportMap[path]; ok {
					path = mapped
				}
				if tp := checked[path]; tp != nil {
					return tp, nil
				}
				return nil, fmt.Errorf("%s was not type-checked before %s", path, lp.ImportPath)
			}),
			Error: func(err error) { errs = append(errs, err.Error()) },
		}
		tp, _ := conf.Check(lp.ImportPath, fset, files, nil)
		checked[lp.ImportPath] = tp
		n++
	}
	return n, errs, nil
}

// goVersion is the language version the compiler would be given: none for
// the standard library, else the module's go line (go1.16 without one).
func goVersion(lp listedPackage) string {
	switch {
	case lp.Standard:
		return ""
	case lp.Module != nil && lp.Module.GoVersion != "":
		return "go" + lp.Module.GoVersion
	default:
		return "go1.16"
	}
}

// list runs `go list -deps` for p: the packages in dependency order, each
// after everything it imports.
func list(p platform, patterns []string) ([]listedPackage, error) {
	args := append([]string{"list", "-e", "-deps", "-json=ImportPath,Dir,GoFiles,ImportMap,Standard,Module,Error"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOOS="+p.goos, "GOARCH="+p.goarch, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var lp listedPackage
		if err := dec.Decode(&lp); err != nil {
			return nil, fmt.Errorf("reading go list's output: %w", err)
		}
		pkgs = append(pkgs, lp)
	}
	return pkgs, nil
}

// importerFunc is a types.Importer.
type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
