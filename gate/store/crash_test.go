package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/egate/egate/gate/watchlist"
)

// The crash test runs the writer in a child process (this test binary,
// re-executed with crashEnv set), kills it with SIGKILL at random moments,
// and checks after every kill that the database is intact, the audit chain
// verifies, and everything the writer reported as committed is there.
//
// SIGKILL tests a process crash: the kernel keeps what was written. A power
// cut is what synchronous=FULL is for (see the package doc); that needs a
// real Pi and a relay, not a unit test.

const crashEnv = "EGATE_STORE_CRASH_CHILD"

// TestCrashWriterChild is the child: it writes until killed, reporting
// each commit on stdout after Commit returned.
func TestCrashWriterChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("the writer of TestCrashSafety; runs only in its child process")
	}
	base, _ := strconv.Atoi(os.Getenv(crashEnv + "_BASE"))
	s, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	ctx := context.Background()
	key := make([]byte, 32)
	out := func(format string, args ...any) {
		// One write per line: a line on the pipe is a whole report.
		os.Stdout.WriteString(fmt.Sprintf(format, args...) + "\n")
	}
	st, err := s.WatchlistStatus(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	version := st.Version
	out("ready")
	for i := 0; ; i++ {
		n := base + i
		at := t0.Add(time.Duration(n) * time.Second)
		ref := fmt.Sprintf("%064x", n)
		if _, err := s.OpenDocUse(ctx, "crash", uint64(n), ref, at); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		d := decision(uint64(n), at, ref, "accept")
		d.Lane = "crash"
		if _, err := s.RecordDecision(ctx, d); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		out("decision %d", n)
		if i%3 == 0 {
			if err := s.RecordEventChained(ctx, Event{At: at, Lane: "crash", Kind: "alarm", Detail: map[string]any{"n": n}}); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(3)
			}
			out("event %d", n)
		}
		if i%7 == 0 {
			d := watchlist.Delta{Version: version + 1, IssuedAt: at, KeyID: watchlist.KeyID(key),
				Add: []watchlist.Ref{watchlist.RefOf(key, "UTO", "P", "N"+strconv.Itoa(n))}}
			if err := s.ApplyDelta(ctx, d); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(3)
			}
			version++
			out("watchlist %d", version)
		}
	}
}

func TestCrashSafety(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	kills, budget := 40, 45*time.Second
	if testing.Short() {
		kills, budget = 10, 15*time.Second
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	path := filepath.Join(t.TempDir(), "egate.db")
	decisions := map[int]bool{}
	events := map[int]bool{}
	var watchlistVersion uint64
	start := time.Now()
	done := 0
	for k := 0; k < kills && time.Since(start) < budget; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriterChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path, fmt.Sprintf("%s_BASE=%d", crashEnv, k*1_000_000))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		pipe, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan struct{})
		lines := make(chan []string, 1)
		go func() {
			var got []string
			sc := bufio.NewScanner(pipe)
			for sc.Scan() {
				if sc.Text() == "ready" {
					close(ready)
					continue
				}
				got = append(got, sc.Text())
			}
			lines <- got
		}()
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("kill %d: child not ready: %s", k, stderr.String())
		}
		// Kill at a random moment: mostly mid-run, sometimes at once.
		time.Sleep(time.Duration(rng.IntN(60_000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		werr := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("kill %d: child ended on its own (%v): %s", k, werr, stderr.String())
		}
		for _, l := range <-lines {
			kind, num, _ := strings.Cut(l, " ")
			n, err := strconv.Atoi(num)
			if err != nil {
				t.Fatalf("kill %d: child said %q", k, l)
			}
			switch kind {
			case "decision":
				decisions[n] = true
			case "event":
				events[n] = true
			case "watchlist":
				watchlistVersion = uint64(n)
			}
		}
		checkAfterCrash(t, k, path, decisions, events, watchlistVersion)
		done++
	}
	if done < min(kills, 5) {
		t.Fatalf("only %d kills in the time budget", done)
	}
	t.Logf("%d kills in %v; %d decisions, %d events, watchlist version %d reported committed",
		done, time.Since(start).Round(time.Millisecond), len(decisions), len(events), watchlistVersion)
}

func checkAfterCrash(t *testing.T, k int, path string, decisions, events map[int]bool, wlVersion uint64) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("kill %d: reopen: %v", k, err)
	}
	defer s.Close()
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatalf("kill %d: %v", k, err)
	}
	rep, err := s.VerifyAudit(ctx)
	if err != nil || rep.Problem != nil {
		t.Fatalf("kill %d: audit chain: %v %v", k, err, rep.Problem)
	}
	have := map[int]bool{}
	rows, err := s.DB().Query(`SELECT passage FROM passages WHERE lane = 'crash'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n int
		rows.Scan(&n)
		have[n] = true
	}
	rows.Close()
	for n := range decisions {
		if !have[n] {
			t.Fatalf("kill %d: decision %d was reported committed but is missing", k, n)
		}
	}
	rows, err = s.DB().Query(`SELECT json_extract(detail, '$.n') FROM lane_events WHERE lane = 'crash'`)
	if err != nil {
		t.Fatal(err)
	}
	clear(have)
	for rows.Next() {
		var n int
		rows.Scan(&n)
		have[n] = true
	}
	rows.Close()
	for n := range events {
		if !have[n] {
			t.Fatalf("kill %d: event %d was reported committed but is missing", k, n)
		}
	}
	st, err := s.WatchlistStatus(ctx)
	if err != nil || st.Version < wlVersion {
		t.Fatalf("kill %d: watchlist at version %d, %d reported committed (%v)", k, st.Version, wlVersion, err)
	}
	var open int
	if err := s.DB().QueryRow(`SELECT count(*) FROM doc_uses WHERE closed_ms IS NULL`).Scan(&open); err != nil || open > k+1 {
		// Each kill may leave the use in flight open; the policy's
		// open_limit lets such leftovers expire.
		t.Fatalf("kill %d: %d document uses left open, more than one per kill: %v", k, open, err)
	}
}
