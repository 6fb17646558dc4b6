package api

import (
	"strings"
	"testing"

	"github.com/egate/egate/gate"
)

// TestInstructionsComplete: every message the state machine shows has a
// title and a line in every kiosk language.
func TestInstructionsComplete(t *testing.T) {
	msgs := []gate.Message{gate.MsgPlaceDocument, gate.MsgReading, gate.MsgStepIn, gate.MsgLookAtCamera,
		gate.MsgPleaseExit, gate.MsgGoBack, gate.MsgOnePerson, gate.MsgSeeOfficer, gate.MsgWait,
		gate.MsgLaneClosed, gate.MsgEmergency, gate.MsgMaintenance}
	if len(Instructions) != len(msgs) {
		t.Errorf("%d instructions for %d messages", len(Instructions), len(msgs))
	}
	for _, m := range msgs {
		for _, l := range Languages {
			if x := Instructions[m][l.Code]; x.Title == "" || x.Sub == "" {
				t.Errorf("%s has no %s text", m, l.Code)
			}
			if chrome[l.Code]["offline"] == "" {
				t.Errorf("no %s chrome", l.Code)
			}
		}
		if !pictogramDefined(m) {
			t.Errorf("%s has no pictogram", m)
		}
	}
	if got := instruction("no_such_message", "fr"); got != Instructions[gate.MsgWait]["fr"] {
		t.Errorf("unknown message: %+v", got)
	}
}

func pictogramDefined(m gate.Message) bool {
	b, err := staticFS.ReadFile("static/pictograms.tmpl")
	return err == nil && len(m) > 0 && strings.Contains(string(b), `id="p-`+string(m)+`"`)
}
