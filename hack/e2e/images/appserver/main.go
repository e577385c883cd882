// Command appserver is the small application server that pulllab's e2e
// harness uses as the base image of the lab's app, in place of JBoss EAP
// (no image can come from a public registry there).
//
// Like EAP's deployment scanner it deploys every *.war file in its
// deployments directory (default $DEPLOYMENTS_DIR, else /deployments), in
// name order, and logs one line per WAR:
//
//	appserver: APPSRV0027: Starting deployment of "node.war" from /deployments
//	appserver: APPSRV0010: Deployed "node.war" (context /node)
//
// The first line is the one pulllab reads (lab.ProfileAppServer). It then
// serves each WAR's entries over HTTP (default :8080) under
// /<name-without-.war>/, with index.html, index.htm or index.jsp as the
// welcome file (a JSP is served as its text, as text/html), hides WEB-INF and
// META-INF, and lists the deployed contexts at /. It exits 0 on SIGTERM or
// SIGINT.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// prefix starts every log line, as EAP's category does.
const prefix = "appserver: "

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it parses args, deploys, serves until ctx
// is done, and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("appserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defDir := getenv("DEPLOYMENTS_DIR")
	if defDir == "" {
		defDir = "/deployments"
	}
	dir := fs.String("dir", defDir, "deploy the *.war files in `DIR`")
	addr := fs.String("addr", ":8080", "serve HTTP on `ADDR`")
	if err := fs.Parse(args); err != nil {
		return 2
	}

	srv, err := deployAll(*dir, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "%sAPPSRV0001: %v\n", prefix, err)
		return 1
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "%sAPPSRV0002: %v\n", prefix, err)
		return 1
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "%sAPPSRV0025: Listening on %s with %d deployment(s)\n", prefix, ln.Addr(), len(srv.names))

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "%sAPPSRV0003: serving: %v\n", prefix, err)
		return 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	fmt.Fprintf(stdout, "%sAPPSRV0050: Stopped\n", prefix)
	return 0
}

// app is one deployed WAR.
type app struct {
	war   string // file name, e.g. "node.war"
	zr    *zip.ReadCloser
	files map[string]*zip.File // by entry name without a leading slash
}

// server serves every deployed WAR under its context path.
type server struct {
	apps  map[string]*app // by context name ("node")
	names []string        // context names, sorted
}

// deployAll deploys every *.war file in dir, in name order, logging each
// deployment to logw. A WAR that is not a valid zip is logged and skipped,
// as EAP marks a failed deployment and carries on. A missing directory
// deploys nothing.
func deployAll(dir string, logw io.Writer) (*server, error) {
	s := &server{apps: map[string]*app{}}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(logw, "%sAPPSRV0012: No deployments directory %s\n", prefix, dir)
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading deployments directory: %w", err)
	}
	var wars []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".war") || len(e.Name()) == len(".war") {
			continue
		}
		st, err := os.Stat(filepath.Join(dir, e.Name())) // follows symlinks
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		wars = append(wars, e.Name())
	}
	sort.Strings(wars)
	for _, war := range wars {
		fmt.Fprintf(logw, "%sAPPSRV0027: Starting deployment of %q from %s\n", prefix, war, dir)
		a, err := openWAR(filepath.Join(dir, war))
		if err != nil {
			fmt.Fprintf(logw, "%sAPPSRV0011: Deployment of %q failed: %v\n", prefix, war, err)
			continue
		}
		a.war = war
		ctxName := strings.TrimSuffix(war, ".war")
		s.apps[ctxName] = a
		s.names = append(s.names, ctxName)
		fmt.Fprintf(logw, "%sAPPSRV0010: Deployed %q (context /%s)\n", prefix, war, ctxName)
	}
	return s, nil
}

func openWAR(file string) (*app, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, err
	}
	a := &app{zr: zr, files: map[string]*zip.File{}}
	for _, f := range zr.File {
		name := strings.TrimPrefix(path.Clean("/"+f.Name), "/")
		if name == "" || f.FileInfo().IsDir() {
			continue
		}
		a.files[name] = f
	}
	return a, nil
}

// Close closes every WAR.
func (s *server) Close() error {
	var errs []error
	for _, a := range s.apps {
		errs = append(errs, a.zr.Close())
	}
	return errors.Join(errs...)
}

// welcomeFiles are tried, in order, for a request that names a directory.
var welcomeFiles = []string{"index.html", "index.htm", "index.jsp"}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if p == "/" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for _, n := range s.names {
			fmt.Fprintf(w, "/%s %s\n", n, s.apps[n].war)
		}
		return
	}
	rest := strings.TrimPrefix(p, "/")
	ctxName, entry, _ := strings.Cut(rest, "/")
	a, ok := s.apps[ctxName]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if entry == "" && !strings.HasSuffix(r.URL.Path, "/") {
		http.Redirect(w, r, "/"+ctxName+"/", http.StatusFound)
		return
	}
	top := strings.ToUpper(strings.SplitN(entry, "/", 2)[0])
	if top == "WEB-INF" || top == "META-INF" {
		http.NotFound(w, r)
		return
	}
	f := a.files[entry]
	if f == nil {
		dir := entry
		if dir != "" {
			dir += "/"
		}
		for _, wf := range welcomeFiles {
			if f = a.files[dir+wf]; f != nil {
				break
			}
		}
	}
	if f == nil {
		http.NotFound(w, r)
		return
	}
	body, err := readEntry(f)
	if err != nil {
		http.Error(w, "reading "+f.Name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType(f.Name, body))
	http.ServeContent(w, r, "", f.Modified, bytes.NewReader(body))
}

func readEntry(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// contentType is text/html for pages (JSPs are served as their text),
// else by extension, else sniffed.
func contentType(name string, body []byte) string {
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".html", ".htm", ".jsp":
		return "text/html; charset=utf-8"
	case "":
	default:
		if t := mime.TypeByExtension(ext); t != "" {
			return t
		}
	}
	return http.DetectContentType(body)
}
