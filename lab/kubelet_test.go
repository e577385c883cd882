package lab

import "testing"

func TestKubeletVocabulary(t *testing.T) {
	tests := []struct {
		reason      string
		pullFailure bool
		imageEvent  bool
	}{
		{ReasonErrImagePull, true, true},
		{ReasonImagePullBackOff, true, true},
		{ReasonErrImageNeverPull, true, true},
		{ReasonInvalidImageName, true, false},
		{ReasonImageInspectError, true, false},
		{ReasonRegistryUnavailable, true, false},
		{ReasonSignatureValidationFailed, true, false},
		{"CrashLoopBackOff", false, false},
		{"CreateContainerConfigError", false, false},
		{EventReasonPulling, false, true},
		{EventReasonPulled, false, true},
		{EventReasonFailed, false, true},
		{EventReasonInspectFailed, false, true},
		{EventReasonBackOff, false, true},
		{EventReasonStarted, false, false},
		{"Scheduled", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		if got := IsPullFailure(tt.reason); got != tt.pullFailure {
			t.Errorf("IsPullFailure(%q) = %v, want %v", tt.reason, got, tt.pullFailure)
		}
		if got := IsImageEventReason(tt.reason); got != tt.imageEvent {
			t.Errorf("IsImageEventReason(%q) = %v, want %v", tt.reason, got, tt.imageEvent)
		}
	}
	if !IsErrorEvent("Error: ErrImagePull", ReasonErrImagePull) || IsErrorEvent("Error: ErrImagePull", ReasonImagePullBackOff) {
		t.Error("IsErrorEvent must match the whole message for its reason only")
	}
}
