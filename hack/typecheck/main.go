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
// CGO_ENABLED=0, as the release builds use. A platform that passed is
// remembered in the -cache directory under a key made of the Go version,
// the platform and every source file's path, size and modification time,
// so it is checked again only when one of those changed. Exit status: 0
// when every platform type-checks, 1 when one does not, 2 on bad usage.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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
	"runtime"
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
	cache := fs.String("cache", defaultCacheDir(), "remember platforms that passed in `DIR` (\"\" for none)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./hack/typecheck [-n MAX] [-cache DIR] OS/ARCH... -- PACKAGE...")
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
		pkgs, err := list(p, patterns)
		if err != nil {
			fmt.Fprintf(stderr, "typecheck: %s: %v\n", p, err)
			return 2
		}
		stamp := ""
		if *cache != "" {
			stamp = filepath.Join(*cache, stampKey(p, pkgs))
			if _, err := os.Stat(stamp); err == nil {
				fmt.Fprintf(stdout, "typecheck: %s ok (%d packages, unchanged since they passed)\n", p, countChecked(pkgs))
				continue
			}
		}
		n, errs, err := checkPackages(p, pkgs)
		if err != nil {
			fmt.Fprintf(stderr, "typecheck: %s: %v\n", p, err)
			return 2
		}
		if len(errs) == 0 {
			fmt.Fprintf(stdout, "typecheck: %s ok (%d packages, %.1f s)\n", p, n, time.Since(start).Seconds())
			if stamp != "" {
				// A stamp that cannot be written only costs a check next time.
				if err := os.MkdirAll(*cache, 0o755); err == nil {
					_ = os.WriteFile(stamp, nil, 0o644)
				}
			}
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

// checkPackages type-checks pkgs, listed in dependency order, for p and
// returns how many packages it checked and the errors it found.
func checkPackages(p platform, pkgs []listedPackage) (int, []string, error) {
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

// countChecked is how many of pkgs a check type-checks (all but unsafe).
func countChecked(pkgs []listedPackage) int {
	n := 0
	for _, lp := range pkgs {
		if lp.ImportPath != "unsafe" {
			n++
		}
	}
	return n
}

// defaultCacheDir is where passed platforms are remembered: the user's
// cache directory, or none when there is no such directory.
func defaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "pulllab-typecheck")
}

// stampKey names what was checked: the Go version, the platform, and each
// package's path, language version, listing error and files (path, size,
// modification time). A file that cannot be read makes a key no stamp has.
func stampKey(p platform, pkgs []listedPackage) string {
	h := sha256.New()
	fmt.Fprintf(h, "typecheck 1\n%s\n%s\n", runtime.Version(), p)
	for _, lp := range pkgs {
		fmt.Fprintf(h, "package %s %s %s\n", lp.ImportPath, goVersion(lp), lp.Dir)
		if lp.Error != nil {
			fmt.Fprintf(h, "error %s\n", lp.Error.Err)
		}
		for _, name := range lp.GoFiles {
			path := filepath.Join(lp.Dir, name)
			st, err := os.Stat(path)
			if err != nil {
				fmt.Fprintf(h, "unreadable %s %d\n", path, time.Now().UnixNano())
				continue
			}
			fmt.Fprintf(h, "file %s %d %d\n", path, st.Size(), st.ModTime().UnixNano())
		}
	}
	return hex.EncodeToString(h.Sum(nil))
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
