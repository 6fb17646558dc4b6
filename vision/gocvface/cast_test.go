package gocvface

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/egate/egate/vision"
	"github.com/egate/egate/vision/internal/visiontest"
	"github.com/egate/egate/vision/models"
)

// TestSimFaces runs the real gate verifier on the stock photographs that
// `make models` installs, as the simulated lane does in `make run`.
func TestSimFaces(t *testing.T) {
	root := visiontest.RepoRoot(t)
	dir := filepath.Join(root, DefaultCastDir)
	if _, err := os.Stat(dir); err != nil {
		t.Skip("face-api demo photographs not installed: run `make models`")
	}
	for _, name := range []string{models.FaceRecognitionONNX, models.Landmark68ONNX, models.TinyFace416ONNX} {
		visiontest.Model(t, name)
	}
	sf, err := OpenSimFaces(filepath.Join(root, ".cache", "models"), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	var names []string
	for i := 0; i < sf.Cast.Len(); i++ {
		names = append(names, sf.Cast.Name(i))
	}
	t.Logf("%d people: %v", sf.Cast.Len(), names)
	if sf.Cast.Len() < 4 {
		t.Fatalf("only %d people in the cast", sf.Cast.Len())
	}
	ctx := context.Background()
	check := func(name string, portrait, live int, pr Presentation, match bool, reason string) {
		t.Helper()
		if err := sf.Present(live, pr); err != nil {
			t.Fatal(err)
		}
		out, err := sf.VerifyDetail(ctx, sf.Cast.Portrait(portrait))
		if err != nil {
			t.Fatal(err)
		}
		r := out.Result
		t.Logf("%s: match %v score %.3f reasons %v frames %d in %v, liveness %+v", name, r.Match, r.Score, r.Reasons, out.Frames, out.Elapsed, out.Liveness)
		if r.Match != match || (reason != "" && (len(r.Reasons) == 0 || r.Reasons[0] != reason)) {
			t.Errorf("%s: got %v %v, want %v %s", name, r.Match, r.Reasons, match, reason)
		}
	}
	for i := 0; i < sf.Cast.Len(); i++ {
		check(sf.Cast.Name(i)+" genuine", i, i, PresentLive, true, "")
	}
	check("impostor", 0, 3, PresentLive, false, vision.CodeNoMatch)
	check("photo attack", 1, 1, PresentPhoto, false, vision.CodeAttackSuspected)
	sf.Clear()
	r, err := sf.Verify(ctx, sf.Cast.Portrait(2))
	if err != nil || r.Match || len(r.Reasons) != 1 || r.Reasons[0] != "face.quality.no_face" {
		t.Errorf("nobody there: %+v %v", r, err)
	}
	if _, err := ParsePresentation("mask"); err == nil {
		t.Error("unknown presentation accepted")
	}
}
