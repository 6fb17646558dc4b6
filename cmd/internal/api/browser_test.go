package api_test

// Headless Chromium tests of the kiosk and status pages. They need Debian's
// chromium (make deps installs it through api.mk); without it they skip,
// except under CI, where they fail. Set EGATE_SCREENSHOTS=DIR to keep the
// screenshots.

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/egate/egate/cmd/internal/api/apiclient"
	"github.com/egate/egate/cmd/internal/api/apitest"
	"github.com/egate/egate/gate"
	"github.com/egate/egate/sensors/simlane"
)

func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test")
	}
	cands := []string{os.Getenv("EGATE_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is missing: make deps installs it (cmd/internal/api/api.mk)")
	}
	t.Skip("chromium is missing (apt-get install chromium)")
	return ""
}

// chromiumFlags are the flags every run uses: no sandbox (we may be root in
// a container), nothing fetched from the network.
func chromiumFlags(t *testing.T) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}
}

// browser starts one headless Chromium for the test, driven over the
// DevTools protocol.
func browser(t *testing.T, w, h int) context.Context {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(w, h),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("hide-scrollbars", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	// The first run starts the browser, which lives as long as ctx.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	// The window includes the browser's own bars; the page gets exactly w x h.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h))); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// shot saves a screenshot, checks it is a PNG of the window's size that is
// not blank, and returns its path.
func shot(t *testing.T, ctx context.Context, name string, w, h int) string {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	return savePNG(t, name, buf, w, h)
}

func savePNG(t *testing.T, name string, buf []byte, w, h int) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		t.Errorf("screenshot %s is %dx%d, want %dx%d", name, b.Dx(), b.Dy(), w, h)
	}
	colours := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 12, g >> 12, bl >> 12}] = true
		}
	}
	if len(colours) < 3 {
		t.Errorf("screenshot %s looks blank (%d colours)", name, len(colours))
	}
	dir := os.Getenv("EGATE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
	return p
}

func waitText(ctx context.Context, sel, want string) error {
	return waitJS(ctx, fmt.Sprintf(`(document.querySelector(%q)||{}).textContent === %q`, sel, want))
}

// waitJS waits up to 15s for a JavaScript expression to be true.
func waitJS(ctx context.Context, expr string) error {
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second)))
	return err
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

// TestKioskBrowser drives the traveller display through the lane's states
// and the language switch in a real browser.
func TestKioskBrowser(t *testing.T) {
	const w, h = 1280, 800
	lane := apitest.NewFakeLane(gate.Ready, gate.MsgPlaceDocument)
	f := newFixture(t, lane)
	ctx := browser(t, w, h)
	set := func(s gate.State, m gate.Message) {
		lane.Set(func(st *gate.Status) { st.State, st.Indicate.Msg = s, m })
		f.hub.Show(gate.Indicate{Msg: m})
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(f.ts.URL+"/kiosk")); err != nil {
		t.Fatal(err)
	}
	if err := waitText(ctx, "h1", "Place your passport on the reader"); err != nil {
		t.Fatalf("ready screen: %v", err)
	}
	// The page follows the lane without reloading.
	set(gate.Verifying, gate.MsgLookAtCamera)
	for _, tc := range []struct{ lang, title, sub string }{
		{"en", "Look at the camera", "Stand still, remove hat and sunglasses"},
		{"es", "Mire a la cámara", "Quédese quieto, quítese el sombrero y las gafas de sol"},
		{"fr", "Regardez la caméra", "Restez immobile, retirez chapeau et lunettes de soleil"},
	} {
		if tc.lang != "en" {
			click(t, ctx, `button[data-lang="`+tc.lang+`"]`)
		}
		if err := waitText(ctx, "h1", tc.title); err != nil {
			t.Fatalf("%s: %v", tc.lang, err)
		}
		sub := eval[string](t, ctx, `document.getElementById("sub").textContent`)
		lang := eval[string](t, ctx, `document.documentElement.lang`)
		pressed := eval[string](t, ctx, `document.querySelector('button[aria-pressed="true"]').dataset.lang`)
		href := eval[string](t, ctx, `document.getElementById("pict-use").getAttribute("href")`)
		symbol := eval[bool](t, ctx, `!!document.querySelector(document.getElementById("pict-use").getAttribute("href"))`)
		if sub != tc.sub || lang != tc.lang || pressed != tc.lang || href != "#p-look_at_camera" || !symbol {
			t.Errorf("%s: sub %q, lang %q, pressed %q, pictogram %q (defined %v)", tc.lang, sub, lang, pressed, href, symbol)
		}
		shot(t, ctx, "kiosk-verifying-"+tc.lang, w, h)
	}
	// The next traveller starts in the display's language again.
	set(gate.Ready, gate.MsgPlaceDocument)
	if err := waitText(ctx, "h1", "Place your passport on the reader"); err != nil {
		t.Fatalf("language not reset for the next traveller: %v", err)
	}
	// Every message has its text and a pictogram that exists.
	for _, m := range []gate.Message{gate.MsgPlaceDocument, gate.MsgReading, gate.MsgStepIn, gate.MsgPleaseExit,
		gate.MsgGoBack, gate.MsgOnePerson, gate.MsgSeeOfficer, gate.MsgWait, gate.MsgLaneClosed, gate.MsgEmergency, gate.MsgMaintenance} {
		set(gate.Referral, m) // the state does not matter to the page, the message does
		want := map[gate.Message]string{
			gate.MsgPlaceDocument: "Place your passport on the reader", gate.MsgReading: "Reading your passport",
			gate.MsgStepIn: "Step in", gate.MsgPleaseExit: "Please exit", gate.MsgGoBack: "Please go back and see an officer",
			gate.MsgOnePerson: "One person at a time", gate.MsgSeeOfficer: "Please see an officer", gate.MsgWait: "Please wait",
			gate.MsgLaneClosed: "Gate closed", gate.MsgEmergency: "Emergency: leave the gate", gate.MsgMaintenance: "Out of service",
		}[m]
		if err := waitText(ctx, "h1", want); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if !eval[bool](t, ctx, `!!document.querySelector("#p-`+string(m)+`") && document.body.dataset.msg === "`+string(m)+`"`) {
			t.Errorf("%s: pictogram or data-msg missing", m)
		}
		shot(t, ctx, "kiosk-"+string(m), w, h)
	}
}

// TestKioskDumpDOM checks the page Chromium renders from the command line,
// as a kiosk browser would load it: --dump-dom for the text and
// --screenshot for the picture.
func TestKioskDumpDOM(t *testing.T) {
	path := chromium(t)
	f := newFixture(t, apitest.NewFakeLane(gate.Verifying, gate.MsgLookAtCamera))
	for _, tc := range []struct{ lang, want string }{
		{"en", "Look at the camera"}, {"es", "Mire a la cámara"}, {"fr", "Regardez la caméra"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := append(chromiumFlags(t), "--dump-dom", f.ts.URL+"/kiosk?lang="+tc.lang)
			out, err := exec.CommandContext(ctx, path, args...).Output()
			if err != nil {
				t.Fatalf("chromium --dump-dom: %v", err)
			}
			dom := string(out)
			if !strings.Contains(dom, tc.want) || !strings.Contains(dom, `<html lang="`+tc.lang+`"`) || !strings.Contains(dom, `href="#p-look_at_camera"`) {
				t.Fatalf("rendered DOM lacks %q:\n%s", tc.want, dom)
			}
		})
	}
	t.Run("screenshot", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		file := filepath.Join(t.TempDir(), "kiosk.png")
		args := append(chromiumFlags(t), "--screenshot="+file, "--window-size=800,1280", f.ts.URL+"/kiosk?lang=es")
		if out, err := exec.CommandContext(ctx, path, args...).CombinedOutput(); err != nil {
			t.Fatalf("chromium --screenshot: %v\n%s", err, out)
		}
		buf, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		savePNG(t, "kiosk-portrait-es-cli", buf, 800, 1280)
	})
}

// TestStatusPageBrowser shows a real daemon on the simulated lane on the
// technician's page: passages, then maintenance with the entry door open
// and someone in the mantrap, and a pictogram test started from the page.
func TestStatusPageBrowser(t *testing.T) {
	const w, h = 1280, 1100
	s := apitest.StartSim(t, apitest.SimOpts{})
	ctx := browser(t, w, h)
	cl := simClient(t, s)
	// Two travellers: an accept and a reject (face mismatch).
	s.Play(t, "Anna Eriksson", "Carla Mendes")
	s.WaitState(t, gate.Ready, 20*time.Second)

	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/status?token="+cl.Token)); err != nil {
		t.Fatal(err)
	}
	if err := waitText(ctx, "#state", "ready"); err != nil {
		t.Fatalf("status page: %v", err)
	}
	body := eval[string](t, ctx, `document.body.innerText`)
	for _, want := range []string{"sim-lane-1", "demo-airport", "entry door", "exit door", "mantrap", "#1", "#2", "accept", "reject", "face.no_match"} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if strings.Contains(body, "ERIKSSON") || strings.Contains(body, "L898902C3") || strings.Contains(body, "UTO") {
		t.Errorf("personal data on the status page:\n%s", body)
	}
	shot(t, ctx, "status-ready", w, h)

	// Maintenance: entry door open, someone in the mantrap. The page
	// follows without a reload.
	ctxb := context.Background()
	if r, err := cl.Command(ctxb, apiclient.Command{Kind: "maintenance_on"}); err != nil || !r.OK {
		t.Fatalf("maintenance on: %+v %v", r, err)
	}
	if r, err := cl.Command(ctxb, apiclient.Command{Kind: "maintenance_door", Door: "entry", Open: true}); err != nil || !r.OK {
		t.Fatalf("open entry: %+v %v", r, err)
	}
	body1 := s.Mech.AddBody(simlane.Inside, false)
	if err := waitText(ctx, "#state", "maintenance"); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(ctx, `document.getElementById("door-entry").classList.contains("open") &&
		document.getElementById("beam-presence").classList.contains("broken") &&
		document.getElementById("person1").classList.contains("on") &&
		!document.getElementById("door-exit").classList.contains("open")`); err != nil {
		t.Fatalf("diagram does not show the open door and the presence: %v", err)
	}
	// A maintenance action from the page (cookie plus CSRF header).
	click(t, ctx, `button[data-action="pictograms"]`)
	if err := waitJS(ctx, `(document.getElementById("report").textContent||"").includes("confirm by eye")`); err != nil {
		t.Fatalf("pictogram test from the page: %v (report %q)", err, eval[string](t, ctx, `document.getElementById("report").textContent`))
	}
	shot(t, ctx, "status-maintenance", w, h)
	s.Mech.Remove(body1)
}
