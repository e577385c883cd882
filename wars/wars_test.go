package wars

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden SHA-256 files in testdata")

// readZip opens an archive and returns its entries in archive order.
func readZip(t *testing.T, b []byte) []*zip.File {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the WAR is not a readable ZIP archive: %v", err)
	}
	return zr.File
}

func readEntry(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatalf("opening %s: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc) // also checks the CRC-32
	if err != nil {
		t.Fatalf("reading %s: %v", f.Name, err)
	}
	return b
}

func TestWARIsReproducible(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			a, err := WAR(name)
			if err != nil {
				t.Fatal(err)
			}
			b, err := WAR(name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Fatalf("packing %s.war twice gave different bytes (sha256 %s vs %s)", name, SHA256(a), SHA256(b))
			}
		})
	}
}

// webApp is the part of web.xml the test checks.
type webApp struct {
	XMLName     xml.Name `xml:"web-app"`
	Version     string   `xml:"version,attr"`
	DisplayName string   `xml:"display-name"`
	Welcome     []string `xml:"welcome-file-list>welcome-file"`
}

func TestWARStructure(t *testing.T) {
	tests := []struct {
		name, other, headline string
	}{
		{"node", "registry", "This page is served by node.war &mdash; the image cached on the node"},
		{"registry", "node", "This page is served by registry.war &mdash; the image in the registry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := WAR(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			files := readZip(t, b)
			if len(files) < 2 || files[0].Name != "META-INF/" || files[1].Name != ManifestPath {
				t.Fatalf("the archive must start with META-INF/ and %s, got %v", ManifestPath, entryNames(files))
			}
			if m := string(readEntry(t, files[1])); !strings.HasPrefix(m, "Manifest-Version: 1.0\r\n") {
				t.Errorf("manifest = %q, want it to start with Manifest-Version: 1.0", m)
			}

			seen := map[string]bool{}
			contents := map[string][]byte{}
			for i, f := range files {
				n := f.Name
				if n == "" || strings.HasPrefix(n, "/") || strings.Contains(n, "\\") || !fs.ValidPath(strings.TrimSuffix(n, "/")) {
					t.Errorf("entry %d has an unsafe name %q", i, n)
				}
				if seen[n] {
					t.Errorf("entry %q appears twice", n)
				}
				seen[n] = true
				if !f.Modified.Equal(Epoch) {
					t.Errorf("entry %q has time %v, want %v", n, f.Modified, Epoch)
				}
				if i > 2 && files[i-1].Name >= n {
					t.Errorf("entries after the manifest are not sorted: %q before %q", files[i-1].Name, n)
				}
				if d := path.Dir(strings.TrimSuffix(n, "/")); d != "." && !seen[d+"/"] {
					t.Errorf("entry %q comes before its directory %q", n, d+"/")
				}
				if strings.HasSuffix(n, "/") {
					if !f.Mode().IsDir() || f.Method != zip.Store || f.UncompressedSize64 != 0 {
						t.Errorf("directory entry %q: mode %v, method %d, size %d", n, f.Mode(), f.Method, f.UncompressedSize64)
					}
					continue
				}
				if f.Method != zip.Deflate || f.Mode().Perm() != 0o644 {
					t.Errorf("file entry %q: method %d, mode %v; want deflate and 0644", n, f.Method, f.Mode())
				}
				contents[n] = readEntry(t, f)
			}

			raw, ok := contents["WEB-INF/web.xml"]
			if !ok {
				t.Fatalf("no WEB-INF/web.xml among %v", entryNames(files))
			}
			var app webApp
			if err := xml.Unmarshal(raw, &app); err != nil {
				t.Fatalf("WEB-INF/web.xml does not parse: %v", err)
			}
			if app.XMLName.Space != "http://xmlns.jcp.org/xml/ns/javaee" || app.Version != "4.0" {
				t.Errorf("web-app namespace %q version %q; want the Java EE 8 namespace and Servlet 4.0", app.XMLName.Space, app.Version)
			}
			if !strings.Contains(app.DisplayName, tt.name+".war") || strings.Contains(app.DisplayName, tt.other) {
				t.Errorf("display-name %q must name %s.war and not the %s variant", app.DisplayName, tt.name, tt.other)
			}
			for _, w := range app.Welcome {
				if _, ok := contents[w]; !ok {
					t.Errorf("welcome file %q is not in the archive", w)
				}
			}
			index, ok := contents["index.jsp"]
			if !ok {
				t.Fatalf("no index.jsp among %v", entryNames(files))
			}
			if !bytes.Contains(index, []byte(tt.headline)) {
				t.Errorf("index.jsp does not say %q", tt.headline)
			}
			if bytes.Contains(index, []byte("served by "+tt.other+".war")) {
				t.Errorf("index.jsp of %s claims to be %s.war", tt.name, tt.other)
			}
		})
	}
}

func entryNames(files []*zip.File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

func TestWARsDiffer(t *testing.T) {
	a, err := WAR("node")
	if err != nil {
		t.Fatal(err)
	}
	b, err := WAR("registry")
	if err != nil {
		t.Fatal(err)
	}
	if SHA256(a) == SHA256(b) {
		t.Fatal("node.war and registry.war are identical; the lab could not tell its variants apart")
	}
}

// TestWARGolden pins each WAR's SHA-256, so an accidental change to the
// sources or to the packing is noticed. After an intended change, run
// go test ./wars -update.
func TestWARGolden(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			b, err := WAR(name)
			if err != nil {
				t.Fatal(err)
			}
			got := SHA256(b) + "\n"
			golden := filepath.Join("testdata", name+".war.sha256")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./wars -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s.war has sha256 %s, golden %s: if the change is intended, run go test ./wars -update",
					name, strings.TrimSpace(got), strings.TrimSpace(string(want)))
			}
		})
	}
}

func TestSHA256(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SHA256([]byte(tt.in)); got != tt.want {
				t.Errorf("SHA256(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestUnknownWAR(t *testing.T) {
	for _, name := range []string{"", "other", "../node", "node/WEB-INF"} {
		t.Run(name, func(t *testing.T) {
			if _, err := WAR(name); err == nil {
				t.Fatalf("WAR(%q) succeeded", name)
			}
		})
	}
}

func TestPackRejectsBadPaths(t *testing.T) {
	tests := []struct {
		name  string
		files map[string][]byte
	}{
		{"absolute", map[string][]byte{"/etc/passwd": nil}},
		{"parent", map[string][]byte{"../index.jsp": nil}},
		{"parent inside", map[string][]byte{"WEB-INF/../../x": nil}},
		{"backslash", map[string][]byte{`WEB-INF\web.xml`: nil}},
		{"drive letter", map[string][]byte{"C:/x": nil}},
		{"trailing slash", map[string][]byte{"WEB-INF/": nil}},
		{"empty", map[string][]byte{"": nil}},
		{"manifest", map[string][]byte{"META-INF/MANIFEST.MF": []byte("x")}},
		{"file and directory", map[string][]byte{"a": nil, "a/b": nil}},
		{"file named like META-INF", map[string][]byte{"META-INF": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Pack(tt.files); err == nil {
				t.Fatalf("Pack(%v) succeeded", tt.files)
			}
		})
	}
}

// FuzzPack checks that whatever Pack accepts reads back with the same
// contents and packs again to the same bytes.
func FuzzPack(f *testing.F) {
	f.Add("index.jsp", []byte("<html/>"), "WEB-INF/web.xml", []byte("<web-app/>"))
	f.Add("a/b/c.txt", []byte{}, "a/d", []byte{0, 1, 2})
	f.Add("META-INF/context.xml", []byte("<Context/>"), "z", []byte("zz"))
	f.Add("../x", []byte("x"), "ok", []byte("y"))
	f.Add("ü/ñ.txt", []byte("unicode"), "WEB-INF/lib/x.jar", bytes.Repeat([]byte("x"), 5000))
	f.Fuzz(func(t *testing.T, n1 string, c1 []byte, n2 string, c2 []byte) {
		in := map[string][]byte{n1: c1, n2: c2}
		out, err := Pack(in)
		if err != nil {
			return
		}
		again, err := Pack(in)
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("packing twice differs (err %v)", err)
		}
		files := readZip(t, out)
		if files[0].Name != "META-INF/" || files[1].Name != ManifestPath {
			t.Fatalf("archive starts with %v", entryNames(files[:2]))
		}
		got := map[string][]byte{}
		for _, f := range files {
			if strings.HasSuffix(f.Name, "/") || f.Name == ManifestPath {
				continue
			}
			got[f.Name] = readEntry(t, f)
		}
		if len(got) != len(in) {
			t.Fatalf("read back %d files, packed %d", len(got), len(in))
		}
		for n, c := range in {
			if !bytes.Equal(got[n], c) {
				t.Fatalf("%q read back as %q, packed %q", n, got[n], c)
			}
		}
	})
}
