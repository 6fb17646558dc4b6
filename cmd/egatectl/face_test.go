package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// faceEnv returns the model directory and the LFW dev set (read in place
// from ../shared, never copied), or skips.
func faceEnv(t *testing.T) (models, faces string) {
	t.Helper()
	models, _ = filepath.Abs("../../.cache/models")
	if _, err := os.Stat(filepath.Join(models, "face_recognition.onnx")); err != nil {
		t.Skip("models not built: run `make models`")
	}
	for dir := "../.."; ; dir = filepath.Join(dir, "..") {
		abs, _ := filepath.Abs(dir)
		cand := filepath.Join(abs, "shared", "testdata", "faces")
		if _, err := os.Stat(filepath.Join(cand, "pairs.tsv")); err == nil {
			return models, cand
		}
		if abs == "/" {
			t.Skip("LFW dev set absent (shared/testdata/faces beside the repository): skipping")
		}
	}
}

func face(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = dispatch(append([]string{"face"}, args...), strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestFaceUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"no subcommand", nil, 2},
		{"help", []string{"help"}, 0},
		{"unknown subcommand", []string{"recognise"}, 2},
		{"compare one image", []string{"compare", "a.jpg"}, 2},
		{"compare three images", []string{"compare", "a", "b", "c"}, 2},
		{"compare images and pairs", []string{"compare", "a", "b", "--pairs", "p.tsv"}, 2},
		{"compare root without pairs", []string{"compare", "a", "b", "--root", "/tmp"}, 2},
		{"compare missing image", []string{"compare", "/nonexistent/a.jpg", "/nonexistent/b.jpg"}, 2},
		{"compare bad flag", []string{"compare", "--frobnicate"}, 2},
		{"compare bad threshold", []string{"compare", "a", "b", "--threshold", "-1"}, 2},
		{"calibrate without pairs", []string{"calibrate"}, 2},
		{"calibrate missing pairs", []string{"calibrate", "--pairs", "/nonexistent.tsv"}, 2},
		{"calibrate bad impostors", []string{"calibrate", "--pairs", "x.tsv", "--impostors", "some"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := face(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
		})
	}
}

func TestFaceCompareModelsMissing(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "a.png")
	writePNG(t, img, 64)
	_, stderr, code := face(t, "compare", img, img, "--models", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "model missing") || !strings.Contains(stderr, "make models") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func writePNG(t *testing.T, path string, side int) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func TestFaceCompare(t *testing.T) {
	models, faces := faceEnv(t)
	tmp := t.TempDir()
	blank := filepath.Join(tmp, "blank.png")
	writePNG(t, blank, 200)
	garbage := filepath.Join(tmp, "garbage.jpg")
	os.WriteFile(garbage, bytes.Repeat([]byte{0xff, 0xd8, 0x13, 0x37}, 1000), 0o644)
	lfw := func(n string) string { return filepath.Join(faces, n) }
	for _, tc := range []struct {
		name     string
		a, b     string
		code     int
		match    bool
		hasScore bool
	}{
		{"same person", lfw("Aaron_Peirsol/0001.jpg"), lfw("Aaron_Peirsol/0003.jpg"), 0, true, true},
		{"different people", lfw("Aaron_Peirsol/0001.jpg"), lfw("Adam_Sandler/0001.jpg"), 1, false, true},
		{"no face", lfw("Aaron_Peirsol/0001.jpg"), blank, 1, false, false},
		{"garbage", lfw("Aaron_Peirsol/0001.jpg"), garbage, 2, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := face(t, "compare", tc.a, tc.b, "--json", "--models", models)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if code == 2 {
				if stdout != "" || stderr == "" {
					t.Errorf("unreadable input: stdout %q stderr %q", stdout, stderr)
				}
				return
			}
			var j map[string]any
			if err := json.Unmarshal([]byte(stdout), &j); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, stdout)
			}
			for _, k := range []string{"score", "match", "threshold", "quality"} {
				if _, ok := j[k]; !ok {
					t.Errorf("key %q missing: %s", k, stdout)
				}
			}
			if j["match"] != tc.match || (j["score"] != nil) != tc.hasScore || j["threshold"].(float64) <= 0 {
				t.Errorf("%s", stdout)
			}
			if !tc.hasScore && j["error"] == nil {
				t.Errorf("no error for a pair without a usable face: %s", stdout)
			}
			q := j["quality"].(map[string]any)
			if _, ok := q["a"].(map[string]any)["face_size"]; !ok {
				t.Errorf("quality lacks measurements: %v", q)
			}
		})
	}
	// The plain form and flags before the images.
	stdout, _, code := face(t, "compare", "--models", models, lfw("Aaron_Peirsol/0001.jpg"), lfw("Aaron_Peirsol/0003.jpg"))
	if code != 0 || !strings.Contains(stdout, "match  true") {
		t.Errorf("plain output (exit %d):\n%s", code, stdout)
	}
}

func TestFaceComparePairs(t *testing.T) {
	models, faces := faceEnv(t)
	root := t.TempDir()
	// The LFW directory is linked, not copied.
	if err := os.Symlink(faces, filepath.Join(root, "lfw")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "garbage.jpg"), []byte("garbage"), 0o644)
	pairs := filepath.Join(root, "pairs.tsv")
	os.WriteFile(pairs, []byte("img_a\timg_b\tsame\n"+
		"lfw/Aaron_Peirsol/0001.jpg\tlfw/Aaron_Peirsol/0003.jpg\t1\n"+
		"lfw/Aaron_Peirsol/0001.jpg\tlfw/Adam_Sandler/0001.jpg\t0\n"+
		"lfw/Aaron_Peirsol/0001.jpg\tgarbage.jpg\t0\n"+
		"lfw/Aaron_Peirsol/0001.jpg\tmissing.jpg\n"), 0o644)
	stdout, stderr, code := face(t, "compare", "--pairs", pairs, "--root", root, "--json", "--models", models)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var j map[string]any
		if err := json.Unmarshal(sc.Bytes(), &j); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		var keys []string
		for k := range j {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if strings.Join(keys, ",") != "error,img_a,img_b,match,score" {
			t.Errorf("keys %v", keys)
		}
		lines = append(lines, j)
	}
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), stdout)
	}
	if lines[0]["match"] != true || lines[0]["error"] != nil || lines[0]["img_b"] != "lfw/Aaron_Peirsol/0003.jpg" {
		t.Errorf("genuine pair: %v", lines[0])
	}
	if lines[1]["match"] != false || lines[1]["score"] == nil {
		t.Errorf("impostor pair: %v", lines[1])
	}
	for _, l := range lines[2:] {
		if l["match"] != false || l["score"] != nil || l["error"] == nil {
			t.Errorf("unusable pair: %v", l)
		}
	}
	os.WriteFile(pairs, []byte("a\tb\n"), 0o644)
	if _, _, code := face(t, "compare", "--pairs", pairs, "--json", "--models", models); code != 2 {
		t.Errorf("bad header: exit %d, want 2", code)
	}
}

func TestFaceCalibrate(t *testing.T) {
	models, faces := faceEnv(t)
	// A small slice of the dev set: 15 genuine and 15 impostor pairs.
	b, err := os.ReadFile(filepath.Join(faces, "pairs.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var gen, imp []string
	for _, l := range lines[1:] {
		if strings.HasSuffix(l, "\t1") && len(gen) < 15 {
			gen = append(gen, l)
		} else if strings.HasSuffix(l, "\t0") && len(imp) < 15 {
			imp = append(imp, l)
		}
	}
	tmp := t.TempDir()
	pairs := filepath.Join(tmp, "pairs.tsv")
	os.WriteFile(pairs, []byte(lines[0]+"\n"+strings.Join(append(gen, imp...), "\n")+"\n"), 0o644)
	plot := filepath.Join(tmp, "det.png")
	stdout, stderr, code := face(t, "calibrate", "--pairs", pairs, "--root", faces, "--plot", plot, "--impostors", "all", "--models", models)
	if code != 0 && code != 1 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	t.Log(stdout)
	for _, want := range []string{"target FMR", "1%", "0.1%", "0.01%", "in use", "genuine"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	f, err := os.Open(plot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() < 400 {
		t.Errorf("plot: %v", err)
	}
	// Without a same column calibration cannot work.
	os.WriteFile(pairs, []byte("img_a\timg_b\nAaron_Peirsol/0001.jpg\tAaron_Peirsol/0003.jpg\n"), 0o644)
	if _, _, code := face(t, "calibrate", "--pairs", pairs, "--root", faces, "--models", models); code != 2 {
		t.Errorf("no same column: exit %d, want 2", code)
	}
}
