package vision

// Reason codes of the gate's face step (gate.FaceResult.Reasons). The
// display and the records use these strings; they are part of the
// contract with gate/ and the control room.
const (
	// CodeNoMatch: the live face and the portrait are not the same person
	// at the configured threshold.
	CodeNoMatch = "face.no_match"
	// CodeNoPortraitFace: no usable face in the chip's DG2 portrait (or it
	// does not decode). The traveller cannot fix this: refer to an officer.
	CodeNoPortraitFace = "face.no_portrait_face"
	// CodeAttackSuspected: the presentation-attack checks found no sign of
	// a live face (no motion, no blink) or found a screen's texture.
	CodeAttackSuspected = "face.attack_suspected"
	// CodeCameraFailed: the camera gave no frame.
	CodeCameraFailed = "face.camera_failed"
)

// GateReason maps a quality reason of the live capture to the gate's
// reason code: "face.quality." + reason, for example
// face.quality.too_small ("Move closer"), face.quality.no_face ("Look at
// the camera"), face.quality.eyes_closed, face.quality.pose.
func GateReason(r Reason) string { return "face.quality." + string(r) }

// GateReasons maps each reason with GateReason.
func GateReasons(rs []Reason) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, GateReason(r))
	}
	return out
}
