// Package report renders the results of a verify run (lab.Results, the
// content of results.json) for people and for CI: a lab write-up in
// Markdown (English or Japanese) with a Mermaid flowchart of the kubelet's
// decision, a one-screen summary for the terminal, and JUnit XML.
//
// The renderers read nothing but the Results they are given: no clock, no
// environment, no cluster. The same Results always give the same bytes.
// Every string of the Results passes through a secret filter before it is
// written, so a token or pull secret that slipped into an event message or
// a log line does not reach a report.
//
// All prose lives in text/template files embedded in the binary
// (templates/report.<lang>.md.tmpl, templates/summary.<lang>.txt.tmpl,
// templates/junit.txt.tmpl); the Go code only computes the facts the
// templates phrase.
package report
