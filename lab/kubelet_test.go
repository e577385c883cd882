package lab

import "testing"

func TestKubeletVocabulary(t *testing.T) {
	tests := []struct {
		reason       string
		pullFailure  bool
		expected     bool
		startFailure bool
		imageEvent   bool
	}{
		{ReasonErrImagePull, true, true, false, true},
		{ReasonImagePullBackOff, true, true, false, true},
		{ReasonErrImageNeverPull, true, true, false, true},
		{ReasonInvalidImageName, true, false, false, false},
		{ReasonImageInspectError, true, false, false, false},
		{ReasonRegistryUnavailable, true, false, false, false},
		{ReasonSignatureValidationFailed, true, false, false, false},
		{"CrashLoopBackOff", false, false, true, false},
		{"CreateContainerConfigError", false, false, true, false},
		{"CreateContainerError", false, false, true, false},
		{"RunContainerError", false, false, true, false},
		{"PreStartHookError", false, false, true, false},
		{"ContainerCreating", false, false, false, false},
		{EventReasonPulling, false, false, false, true},
		{EventReasonPulled, false, false, false, true},
		{EventReasonFailed, false, false, false, true},
		{EventReasonInspectFailed, false, false, false, true},
		{EventReasonBackOff, false, false, false, true},
		{EventReasonStarted, false, false, false, false},
		{"Scheduled", false, false, false, false},
		{"", false, false, false, false},
	}
	for _, tt := range tests {
		if got := IsPullFailure(tt.reason); got != tt.pullFailure {
			t.Errorf("IsPullFailure(%q) = %v, want %v", tt.reason, got, tt.pullFailure)
		}
		if got := IsExpectedPullFailure(tt.reason); got != tt.expected {
			t.Errorf("IsExpectedPullFailure(%q) = %v, want %v", tt.reason, got, tt.expected)
		}
		if got := IsStartFailure(tt.reason); got != tt.startFailure {
			t.Errorf("IsStartFailure(%q) = %v, want %v", tt.reason, got, tt.startFailure)
		}
		if got := IsImageEventReason(tt.reason); got != tt.imageEvent {
			t.Errorf("IsImageEventReason(%q) = %v, want %v", tt.reason, got, tt.imageEvent)
		}
	}
	if !IsErrorEvent("Error: ErrImagePull", ReasonErrImagePull) || IsErrorEvent("Error: ErrImagePull", ReasonImagePullBackOff) {
		t.Error("IsErrorEvent must match the whole message for its reason only")
	}
}

func TestEventReportsState(t *testing.T) {
	const ref = `"r/app:v1"`
	events := []struct{ reason, message string }{
		{EventReasonStarted, "Started container app"},
		{EventReasonBackOff, "Back-off pulling image " + ref},
		{EventReasonFailed, "Error: ImagePullBackOff"},
		{ReasonErrImageNeverPull, "Container image " + ref + " is not present with pull policy of Never"},
		{EventReasonFailed, "Error: ErrImageNeverPull"},
		{EventReasonFailed, "Failed to pull image " + ref + ": not found"},
		{EventReasonFailed, "Error: ErrImagePull"},
		{EventReasonInspectFailed, "Failed to apply default image tag " + ref},
		{EventReasonFailed, "Error: InvalidImageName"},
		{EventReasonBackOff, "Back-off restarting failed container app in pod p"},
		{EventReasonPulled, "Container image " + ref + " already present on machine"},
		{EventReasonPulling, "Pulling image " + ref},
	}
	// want[state] lists the indexes of the events that report it.
	want := map[string][]int{
		StateRunning:            {0},
		ReasonImagePullBackOff:  {1, 2},
		ReasonErrImageNeverPull: {3, 4},
		ReasonErrImagePull:      {5, 6},
		ReasonInvalidImageName:  {7, 8},
		ReasonCrashLoopBackOff:  {9},
		"ContainerCreating":     nil,
		"":                      nil,
	}
	for state, idx := range want {
		for i, e := range events {
			wantMatch := false
			for _, j := range idx {
				wantMatch = wantMatch || i == j
			}
			if got := EventReportsState(e.reason, e.message, state); got != wantMatch {
				t.Errorf("EventReportsState(%q, %q, %q) = %v, want %v", e.reason, e.message, state, got, wantMatch)
			}
		}
	}
}
