// Command fakecrc stands in for crc in pulllab's tests. It replays what
// crc prints (see crcctl's tests for the sources): results on stdout
// (text, or JSON with -o json, where failures still exit 0), logrus logfmt
// progress and errors on stderr, exit code 1 for plain-mode errors and 2
// for a failed `setup --check-only`.
//
// It plays one of two releases, chosen by the state's "version" (the
// profile): 2.65.0 (the default: OpenShift 5.0.0, MicroShift 5.0.0, OKD
// 5.0.0-okd-scos.4, daemon socket under ~/.crc/sockets/) or 2.60.1
// (OpenShift 4.21.8, MicroShift 4.21.0, OKD 4.21.0-okd-scos.8, socket
// ~/.crc/crc-http.sock). The presets behave as crc's do: okd needs no pull
// secret (crc uses a placeholder), microshift has smaller minimums and a
// start result without a console or credentials.
//
// Its world lives in the JSON file named by FAKECRC_STATE, which it reads
// before and writes after every call, recording the call. A missing file
// means a fresh machine: setup not done, no VM.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// profile is what one crc release ships. Versions and commits come from
// crc-org/crc's Makefile (OPENSHIFT_VERSION, OKD_VERSION,
// MICROSHIFT_VERSION) at the release tag; 2.65.0 is newer than the stored
// copy of the source, so its versions are those of its release notes and
// its commit is made up.
type profile struct {
	Commit     string
	OpenShift  string
	OKD        string
	MicroShift string
	// SocketsDir is true from 2.62.0 on: the daemon's sockets live in
	// ~/.crc/sockets/ instead of ~/.crc/.
	SocketsDir bool
}

var profiles = map[string]profile{
	"2.65.0": {Commit: "c65a0e", OpenShift: "5.0.0", OKD: "5.0.0-okd-scos.4", MicroShift: "5.0.0", SocketsDir: true},
	"2.60.1": {Commit: "701ff9", OpenShift: "4.21.8", OKD: "4.21.0-okd-scos.8", MicroShift: "4.21.0"},
}

// defaultProfile is the release the fake plays unless told otherwise.
const defaultProfile = "2.65.0"

// state is the fake machine.
type state struct {
	// Version is the crc release (a profile); OpenShiftVersion, when set,
	// overrides the profile's OpenShift version.
	Version          string            `json:"version"`
	OpenShiftVersion string            `json:"openshiftVersion"`
	SetupDone        bool              `json:"setupDone"`
	VM               string            `json:"vm"`       // none, stopped, running
	VMPreset         string            `json:"vmPreset"` // preset the VM was created with
	StartingPolls    int               `json:"startingPolls"`
	AfterStartPolls  int               `json:"afterStartPolls"` // StartingPolls set by a successful start; -1 = never ready
	Config           map[string]string `json:"config"`
	StartFailure     string            `json:"startFailure"`
	SetupFailure     string            `json:"setupFailure"`
	SlowSeconds      int               `json:"slowSeconds"`
	Password         string            `json:"password"`
	DaemonDown       bool              `json:"daemonDown"` // daemon unreachable even after setup
	// Hang names subcommands ("status", "version", …) that never answer,
	// as crc does when its VM or daemon is stuck; an interrupt ends them.
	Hang         []string `json:"hang"`
	CacheCleared bool     `json:"cacheCleared"`
	Calls        []string `json:"calls"`
	LCAll        []string `json:"lcAll"`
}

func defaults() *state {
	return &state{Version: defaultProfile, VM: "none", Config: map[string]string{}, Password: "kubeadmin-FAKE-Secret-Pw-12345"}
}

// profile returns the release's profile; an unknown version (tests of
// old or odd versions) plays 2.60.1's cluster versions.
func (s *state) profile() profile {
	p, ok := profiles[s.Version]
	if !ok {
		p = profiles["2.60.1"]
	}
	if s.OpenShiftVersion != "" {
		p.OpenShift = s.OpenShiftVersion
	}
	return p
}

// bundleVersion is the cluster version the bundle of preset holds.
func (s *state) bundleVersion(preset string) string {
	p := s.profile()
	switch preset {
	case "okd":
		return p.OKD
	case "microshift":
		return p.MicroShift
	}
	return p.OpenShift
}

// display is crc's name for a preset (preset.ForDisplay).
func display(preset string) string {
	switch preset {
	case "okd":
		return "OKD"
	case "microshift":
		return "MicroShift"
	}
	return "OpenShift"
}

// bundle is the bundle file name crc uses for the configured preset.
func (s *state) bundle() string {
	kind := "crc_"
	switch s.preset() {
	case "okd":
		kind += "okd_"
	case "microshift":
		kind += "microshift_"
	}
	return fmt.Sprintf("%slibvirt_%s_amd64.crcbundle", kind, s.bundleVersion(s.preset()))
}

// socketPath is the daemon's HTTP socket for this release.
func (s *state) socketPath() string {
	home, _ := os.UserHomeDir()
	if s.profile().SocketsDir {
		return filepath.Join(home, ".crc", "sockets", "crc-http.sock")
	}
	return filepath.Join(home, ".crc", "crc-http.sock")
}

// makeSocket leaves a unix socket file where the release's daemon would
// listen (nothing answers on it: pulllab talks to crc through its CLI).
func (s *state) makeSocket() {
	path := s.socketPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return
	}
	_ = os.Remove(path)
	// Listening on the name relative to its directory keeps clear of the
	// ~100-byte limit on socket paths (long temporary directories).
	if wd, err := os.Getwd(); err == nil {
		defer func() { _ = os.Chdir(wd) }()
	}
	if err := os.Chdir(filepath.Dir(path)); err != nil {
		return
	}
	l, err := net.Listen("unix", filepath.Base(path))
	if err != nil {
		return
	}
	if ul, ok := l.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	_ = l.Close()
	_ = os.Chmod(path, 0o600)
}

func load(path string) *state {
	s := defaults()
	data, err := os.ReadFile(path)
	if err != nil {
		return s
	}
	if err := json.Unmarshal(data, s); err != nil {
		fmt.Fprintf(os.Stderr, "fakecrc: bad state file: %v\n", err)
		os.Exit(99)
	}
	if s.Config == nil {
		s.Config = map[string]string{}
	}
	if s.VM == "" {
		s.VM = "none"
	}
	return s
}

func (s *state) save(path string) {
	data, _ := json.MarshalIndent(s, "", "  ")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		fmt.Fprintf(os.Stderr, "fakecrc: writing state: %v\n", err)
		os.Exit(99)
	}
}

func logf(level, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if strings.ContainsAny(msg, " \"=") {
		fmt.Fprintf(os.Stderr, "level=%s msg=%q\n", level, msg)
		return
	}
	fmt.Fprintf(os.Stderr, "level=%s msg=%s\n", level, msg)
}

func printJSON(v any) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail is a plain-mode error: logged on stderr, exit 1.
func fail(format string, args ...any) int {
	logf("error", format, args...)
	return 1
}

func has(args []string, flag string) bool {
	for _, a := range args {
		if a == flag {
			return true
		}
	}
	return false
}

func jsonMode(args []string) bool {
	for i, a := range args {
		if (a == "-o" || a == "--output") && i+1 < len(args) && args[i+1] == "json" {
			return true
		}
		if a == "-ojson" || a == "--output=json" {
			return true
		}
	}
	return false
}

func main() {
	path := os.Getenv("FAKECRC_STATE")
	if path == "" {
		fmt.Fprintln(os.Stderr, "fakecrc: FAKECRC_STATE is not set")
		os.Exit(99)
	}
	s := load(path)
	args := os.Args[1:]
	s.Calls = append(s.Calls, strings.Join(args, " "))
	s.LCAll = append(s.LCAll, os.Getenv("LC_ALL"))
	s.save(path)
	if len(args) > 0 {
		for _, h := range s.Hang {
			if h == args[0] {
				// No signal handler: an interrupt ends the process, as it
				// ends crc.
				select {}
			}
		}
	}
	code := dispatch(s, path, args)
	s.save(path)
	os.Exit(code)
}

func dispatch(s *state, path string, args []string) int {
	if len(args) == 0 {
		fmt.Println("CRC is a tool to run OpenShift locally")
		return 0
	}
	switch args[0] {
	case "version":
		return version(s, args)
	case "status":
		return status(s, args)
	case "config":
		return config(s, args[1:])
	case "setup":
		return setup(s, args)
	case "start":
		return start(s, path, args)
	case "stop":
		return stop(s, args)
	case "delete":
		return del(s, args)
	}
	return fail("unknown command %q for \"crc\"", args[0])
}

// version replays cmd/crc/cmd/version.go: four keys, no OKD version.
func version(s *state, args []string) int {
	p := s.profile()
	if jsonMode(args) {
		printJSON(map[string]string{"version": s.Version, "commit": p.Commit, "openshiftVersion": p.OpenShift, "microshiftVersion": p.MicroShift})
		return 0
	}
	fmt.Printf("CRC version: %s+%s\nOpenShift version: %s\nMicroShift version: %s\n", s.Version, p.Commit, p.OpenShift, p.MicroShift)
	return 0
}

const (
	msgNoVM     = "Machine does not exist. Use 'crc start' to create it"
	msgNoDaemon = "crc does not seem to be setup correctly, have you run 'crc setup'?"
)

func (s *state) preset() string {
	if p := s.Config["preset"]; p != "" {
		return p
	}
	return "openshift"
}

func status(s *state, args []string) int {
	if !jsonMode(args) {
		return fail("fakecrc only answers status -o json")
	}
	switch {
	case !s.SetupDone || s.DaemonDown:
		printJSON(map[string]any{"success": false, "error": msgNoDaemon, "preset": ""})
		return 0
	case s.VM == "none":
		// The daemon's 500 body keeps http.Error's newline.
		printJSON(map[string]any{"success": false, "error": msgNoVM + "\n", "preset": ""})
		return 0
	}
	home, _ := os.UserHomeDir()
	out := map[string]any{
		"success":          true,
		"crcStatus":        "Stopped",
		"openshiftStatus":  "Stopped",
		"openshiftVersion": s.bundleVersion(s.VMPreset),
		"cacheUsage":       24000000000,
		"cacheDir":         filepath.Join(home, ".crc", "cache"),
		"preset":           s.VMPreset,
	}
	if s.VM == "running" {
		out["crcStatus"] = "Running"
		out["openshiftStatus"] = "Running"
		if s.StartingPolls != 0 {
			out["openshiftStatus"] = "Starting"
			if s.StartingPolls > 0 {
				s.StartingPolls--
			}
		}
		out["diskUsage"] = 18000000000
		out["diskSize"] = 32000000000
		out["ramSize"] = 11000000000
		out["ramUsage"] = 7000000000
		if s.VMPreset == "microshift" {
			out["persistentVolumeUsage"] = 1000000000
			out["persistentVolumeSize"] = 16000000000
		}
	}
	printJSON(out)
	return 0
}

var defaultsByKey = map[string]string{"cpus": "4", "memory": "10752", "disk-size": "31", "preset": "openshift", "disable-update-check": "false", "consent-telemetry": ""}

func config(s *state, args []string) int {
	if len(args) == 0 {
		return fail("config needs a subcommand")
	}
	switch args[0] {
	case "view":
		format := "- {{.ConfigKey | printf \"%-38s\"}}: {{.ConfigValue}}"
		for i, a := range args {
			if a == "--format" && i+1 < len(args) {
				format = args[i+1]
			}
		}
		tmpl, err := template.New("view").Parse(format)
		if err != nil {
			return fail("%v", err)
		}
		var lines []string
		for k, v := range s.Config {
			var b strings.Builder
			if err := tmpl.Execute(&b, struct {
				ConfigKey   string
				ConfigValue any
			}{k, v}); err != nil {
				return fail("%v", err)
			}
			lines = append(lines, b.String())
		}
		sort.Strings(lines)
		for _, l := range lines {
			fmt.Println(l)
		}
		return 0
	case "set":
		if len(args) < 3 {
			return fail("Please provide a configuration property and its value as in 'crc config set KEY VALUE'")
		}
		return configSet(s, args[1], args[2])
	}
	return fail("unknown config subcommand %q", args[0])
}

func invalid(key, value, reason string) int {
	return fail("Value '%s' for configuration property '%s' is invalid, reason: %s", value, key, reason)
}

func configSet(s *state, key, value string) int {
	minCPU, minMem := 4, 10752
	if s.preset() == "microshift" {
		minCPU, minMem = 2, 4096
	}
	switch key {
	case "cpus":
		n, err := strconv.Atoi(value)
		if err != nil || n < minCPU {
			return invalid(key, value, fmt.Sprintf("requires CPUs >= %d", minCPU))
		}
	case "memory":
		n, err := strconv.Atoi(value)
		if err != nil || n < minMem {
			return invalid(key, value, fmt.Sprintf("requires memory in MiB >= %d", minMem))
		}
		if n > 65536 {
			return invalid(key, value, fmt.Sprintf("only 64GB of memory found (%dMB required)", n*1049/1000))
		}
	case "disk-size":
		n, err := strconv.Atoi(value)
		if err != nil || n < 31 {
			return invalid(key, value, "requires disk size in GiB >= 31")
		}
	case "preset":
		if value != "openshift" && value != "okd" && value != "microshift" {
			return invalid(key, value, "Unknown preset. Only [openshift okd microshift] are valid.")
		}
		if value == "okd" && os.Getenv("FAKECRC_ARCH") == "arm64" {
			return invalid(key, value, "preset 'okd' is not supported on arm64 architecture, please use different preset value")
		}
	case "consent-telemetry":
		if value != "yes" && value != "no" {
			return invalid(key, value, "must be yes or no")
		}
	case "disable-update-check":
		if _, err := strconv.ParseBool(value); err != nil {
			return invalid(key, value, "must be true or false")
		}
	case "pull-secret-file":
		if _, err := os.Stat(value); err != nil {
			return invalid(key, value, fmt.Sprintf("file '%s' does not exist", value))
		}
	default:
		return fail("Configuration property '%s' does not exist", key)
	}
	if defaultsByKey[key] == value {
		delete(s.Config, key)
	} else {
		s.Config[key] = value
	}
	switch key {
	case "cpus", "memory", "disk-size":
		fmt.Printf("Changes to configuration property '%s' are only applied when the CRC instance is started.\n", key)
		fmt.Println("If you already have a running CRC instance, then for this configuration change to take effect, stop the CRC instance with 'crc stop' and restart it with 'crc start'.")
	}
	return 0
}

var preflight = []string{
	"Using bundle path /home/u/.crc/cache/%s",
	"Checking if running as non-root",
	"Checking if running inside WSL2",
	"Checking if crc-admin-helper executable is cached",
	"Checking if running on a supported CPU architecture",
	"Checking if crc executable symlink exists",
	"Checking minimum RAM requirements",
	"Checking if Virtualization is enabled",
	"Checking if KVM is enabled",
	"Checking if libvirt is installed",
	"Checking if user is part of libvirt group",
	"Checking if systemd-networkd is running",
	"Checking crc daemon systemd socket units",
}

func setup(s *state, args []string) int {
	logf("info", preflight[0], s.bundle())
	if has(args, "--check-only") {
		for _, l := range preflight[1:4] {
			logf("info", "%s", l)
		}
		if s.SetupDone && s.SetupFailure == "" {
			for _, l := range preflight[4:] {
				logf("info", "%s", l)
			}
			fmt.Println("Your system is correctly setup for using CRC. Use 'crc start' to start the instance")
			return 0
		}
		logf("error", "Checking if crc executable symlink exists\ncrc executable symlink /home/u/.crc/bin/crc does not exist")
		return 2
	}
	if s.Config["consent-telemetry"] == "" {
		fmt.Println("CRC is constantly improving and we would like to know more about usage (more details at https://developers.redhat.com/article/tool-data-collection)")
		fmt.Println("Your preference can be changed manually if desired using 'crc config set consent-telemetry <yes/no>'")
		fmt.Println("No worry, you can still enable telemetry manually with the command 'crc config set consent-telemetry yes'.")
		s.Config["consent-telemetry"] = "no"
	}
	for _, l := range preflight[1:] {
		logf("info", "%s", l)
		if s.SetupFailure == "virtualization" && strings.Contains(l, "Virtualization") {
			return result(args, map[string]any{"success": false, "error": "You need to enable virtualization in BIOS"}, "You need to enable virtualization in BIOS")
		}
	}
	logf("info", "Downloading bundle: %s...", s.bundle())
	logf("info", "Uncompressing %s", s.bundle())
	if home, err := os.UserHomeDir(); err == nil {
		dir := filepath.Join(home, ".crc", "bin", "oc")
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, "oc"), []byte("#!/bin/sh\n"), 0o755)
	}
	s.makeSocket()
	s.SetupDone = true
	return result(args, map[string]any{"success": true}, "")
}

// result prints a JSON result (exit 0 even for failures) or, in plain
// mode, the error on stderr with exit 1.
func result(args []string, v map[string]any, errMsg string) int {
	if jsonMode(args) {
		printJSON(v)
		return 0
	}
	if errMsg != "" {
		return fail("%s", errMsg)
	}
	return 0
}

// validPullSecret applies crc's rules.
func validPullSecret(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("unable to load pull secret from path %q or from configuration", path)
	}
	var ps struct {
		Auths map[string]map[string]any `json:"auths"`
	}
	content := strings.TrimSpace(string(data))
	if content == "" {
		return errors.New("empty pull secret")
	}
	if err := json.Unmarshal([]byte(content), &ps); err != nil {
		return fmt.Errorf("invalid pull secret: %v", err)
	}
	if len(ps.Auths) == 0 {
		return errors.New("invalid pull secret: missing 'auths' JSON-object field")
	}
	for h, a := range ps.Auths {
		_, auth := a["auth"]
		_, store := a["credsStore"]
		if !auth && !store {
			return fmt.Errorf("invalid pull secret, '%q' JSON-object requires either 'auth' or 'credsStore' field", h)
		}
	}
	return nil
}

func start(s *state, path string, args []string) int {
	startFail := func(msg string) int {
		return result(args, map[string]any{"success": false, "error": msg}, msg)
	}
	if n, _ := strconv.Atoi(s.Config["memory"]); n != 0 && n < 10752 && s.preset() != "microshift" {
		return startFail("requires memory in MiB >= 10752")
	}
	if s.VM == "running" {
		logf("info", "A CRC VM for %s %s is already running", display(s.VMPreset), s.bundleVersion(s.VMPreset))
		return startOK(s, args)
	}
	if !s.SetupDone || s.DaemonDown {
		return startFail(fmt.Sprintf("Is 'crc daemon' running? Cannot reach daemon API: Get \"http://unix/api/version\": dial unix %s: connect: no such file or directory", s.socketPath()))
	}
	for _, l := range preflight[1:6] {
		logf("info", "%s", l)
	}
	switch s.StartFailure {
	case "memory":
		logf("info", "Checking minimum RAM requirements")
		return startFail("crc requires at least 11.27GB to run")
	case "virtualization":
		logf("info", "Checking if Virtualization is enabled")
		return startFail("You need to enable virtualization in BIOS")
	case "bundle-mismatch":
		return startFail(fmt.Sprintf("Bundle '%s' was requested, but the existing VM is using 'crc_libvirt_4.20.5_amd64.crcbundle'. Please delete your existing cluster and start again", s.bundle()))
	case "pull-secret-invalid":
		logf("info", "Loading bundle: %s...", strings.TrimSuffix(s.bundle(), ".crcbundle"))
		return startFail("invalid pull secret: invalid character 'Q' looking for beginning of value")
	case "slow":
		logf("info", "Starting CRC VM for %s %s...", s.preset(), s.bundleVersion(s.preset()))
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		secs := s.SlowSeconds
		if secs == 0 {
			secs = 120
		}
		select {
		case <-sig:
			logf("info", "interrupted")
			return 1
		case <-time.After(time.Duration(secs) * time.Second):
		}
	}
	if s.VM == "none" {
		// crc's pull-secret loader returns a placeholder for okd
		// (pkg/crc/cluster/pullsecret.go) before looking anywhere.
		if s.preset() != "okd" {
			psf := s.Config["pull-secret-file"]
			for i, a := range args {
				if (a == "-p" || a == "--pull-secret-file") && i+1 < len(args) {
					psf = args[i+1]
				}
			}
			if psf == "" {
				return startFail("Failed to ask for pull secret: cannot ask for secret, crc not launched by a terminal")
			}
			if err := validPullSecret(psf); err != nil {
				return startFail(err.Error())
			}
		}
		s.VMPreset = s.preset()
		logf("info", "Creating CRC VM for %s %s...", display(s.VMPreset), s.bundleVersion(s.VMPreset))
	}
	logf("info", "Starting CRC VM for %s %s...", s.VMPreset, s.bundleVersion(s.VMPreset))
	logf("info", "CRC instance is running with IP 127.0.0.1")
	logf("info", "CRC VM is running")
	logf("info", "Starting kubelet service")
	logf("info", "Starting openshift instance... [waiting for the cluster to stabilize]")
	logf("info", "All operators are available. Ensuring stability...")
	logf("info", "Operators are stable (3/3)...")
	logf("info", "Adding crc-admin and crc-developer contexts to kubeconfig...")
	if home, err := os.UserHomeDir(); err == nil {
		dir := filepath.Join(home, ".crc", "machines", "crc")
		_ = os.MkdirAll(dir, 0o700)
		_ = os.WriteFile(filepath.Join(dir, "kubeconfig"), []byte("apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://127.0.0.1:1\n  name: crc\ncontexts:\n- context:\n    cluster: crc\n    user: admin\n  name: admin\ncurrent-context: admin\nusers:\n- name: admin\n  user: {}\n"), 0o600)
	}
	s.VM = "running"
	s.StartingPolls = s.AfterStartPolls
	return startOK(s, args)
}

func startOK(s *state, args []string) int {
	if s.VMPreset == "microshift" {
		// MicroShift has no console and no OAuth users: only the fixed
		// usernames are filled in (cmd/crc/cmd/start.go).
		if !jsonMode(args) {
			fmt.Print("Started the MicroShift cluster.\n\nUse the 'oc' command line interface:\n  $ eval $(crc oc-env)\n  $ oc COMMAND\n")
			return 0
		}
		printJSON(map[string]any{
			"success": true,
			"clusterConfig": map[string]any{
				"clusterType":          "microshift",
				"cacert":               "",
				"webConsoleUrl":        "",
				"url":                  "",
				"adminCredentials":     map[string]string{"username": "kubeadmin", "password": ""},
				"developerCredentials": map[string]string{"username": "developer", "password": ""},
			},
		})
		return 0
	}
	if !jsonMode(args) {
		fmt.Printf("Started the OpenShift cluster.\n\nLog in as administrator:\n  Username: kubeadmin\n  Password: %s\n", s.Password)
		if s.VMPreset == "okd" {
			fmt.Print("\nNOTE:\nThis cluster was built from OKD - The Community Distribution of Kubernetes that powers Red Hat OpenShift.\n")
		}
		return 0
	}
	printJSON(map[string]any{
		"success": true,
		"clusterConfig": map[string]any{
			"clusterType":          map[bool]string{true: "okd", false: "openshift"}[s.VMPreset == "okd"],
			"cacert":               "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
			"webConsoleUrl":        "https://console-openshift-console.apps-crc.testing",
			"url":                  "https://api.crc.testing:6443",
			"adminCredentials":     map[string]string{"username": "kubeadmin", "password": s.Password},
			"developerCredentials": map[string]string{"username": "developer", "password": "developer"},
		},
	})
	return 0
}

func stop(s *state, args []string) int {
	switch s.VM {
	case "none":
		return result(args, map[string]any{"success": false, "forced": false, "error": msgNoVM}, msgNoVM)
	case "stopped":
		return result(args, map[string]any{"success": false, "forced": false, "error": "Instance is already stopped"}, "Instance is already stopped")
	}
	logf("info", "Stopping kubelet and all containers...")
	logf("info", "Stopping the instance, this may take a few minutes...")
	s.VM = "stopped"
	if jsonMode(args) {
		printJSON(map[string]any{"success": true, "forced": false})
		return 0
	}
	fmt.Println("Stopped the instance")
	return 0
}

func del(s *state, args []string) int {
	force := has(args, "-f") || has(args, "--force")
	if !force && jsonMode(args) {
		return result(args, map[string]any{"success": false, "error": "non-interactive deletion requires --force"}, "")
	}
	if has(args, "--clear-cache") {
		s.CacheCleared = true
	}
	if s.VM == "none" {
		return result(args, map[string]any{"success": false, "error": msgNoVM}, msgNoVM)
	}
	s.VM = "none"
	s.VMPreset = ""
	if jsonMode(args) {
		printJSON(map[string]any{"success": true})
		return 0
	}
	fmt.Println("Deleted the instance")
	return 0
}
