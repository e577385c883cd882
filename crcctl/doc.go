// Package crcctl drives OpenShift Local through the crc command-line tool:
// finding or installing crc, applying its configuration, `crc setup`,
// `crc start`, waiting for the cluster, `crc stop` and `crc delete`, the
// shell lines that put crc's oc on PATH, and the host checks behind
// `pulllab doctor`.
//
// Everything goes through a small [Runner] (argv in; stdout, stderr and exit
// code out), so tests can replace crc with a fake executable. Failures come
// back as [*Error] values whose [Kind] says what went wrong and whose hint
// says what to do. Secrets never leave this package: the pull secret is
// handed to crc as a path, its content is only parsed for its shape, and
// the credentials in `crc start -o json` are dropped while parsing.
//
// The package reads no environment variables and no command-line flags;
// callers pass paths, settings, a logger and a reporter.
package crcctl
