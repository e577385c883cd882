package lab

import "fmt"

// MismatchError is returned by a verify run that completed but where some
// case did not match its expectation (exit code 1), or could not be
// evaluated (exit code 2). The report is still written.
type MismatchError struct {
	Summary Summary
}

// Error summarises the verdicts.
func (e *MismatchError) Error() string {
	s := e.Summary
	if s.Errors > 0 {
		return fmt.Sprintf("%d of %d cases could not be evaluated (%d did not match); see the report for the reasons", s.Errors, s.Total, s.Failed)
	}
	return fmt.Sprintf("%d of %d cases did not match their expectation; see the report", s.Failed, s.Total)
}
