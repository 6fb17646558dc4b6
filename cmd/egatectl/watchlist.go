package main

// egatectl watchlist: the lane's offline list of lost and stolen documents.
//
//	egatectl watchlist load   [--config FILE | --db FILE --key FILE] [--allow-older] FILE|-
//	egatectl watchlist delta  [--config FILE | --db FILE --key FILE] FILE|-
//	egatectl watchlist status [--config FILE | --db FILE --key FILE]
//
// load replaces the whole list with a list file (format in gate/watchlist);
// cleartext entries are hashed with the lane key as they are read and never
// written anywhere. Give "-" to read the file from stdin, so that a
// cleartext list need not be copied onto the device at all:
//
//	ssh lane-01 egatectl watchlist load - < sltd-2026-11-23.txt
//
// delta applies one delta (JSON, the MQTT link's format). status prints the
// list's version, issue time and size, and this lane's key-id (which a
// system producing pre-hashed lists must name); with a configuration that
// enables the watchlist it exits 1 when the list is missing or stale.
//
// Messages never quote an entry of the list.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/egate/egate/gate/policy"
	"github.com/egate/egate/gate/store"
	"github.com/egate/egate/gate/watchlist"
)

func init() {
	register("watchlist", "lost and stolen documents list: watchlist load|delta|status", runWatchlist)
}

func runWatchlist(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: egatectl watchlist load|delta|status [flags] [FILE|-]")
		return 2
	}
	sub := args[0]
	if sub != "load" && sub != "delta" && sub != "status" {
		fmt.Fprintf(stderr, "egatectl watchlist: unknown subcommand %q (load, delta, status)\n", sub)
		return 2
	}
	fs := flag.NewFlagSet("watchlist "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var loc location
	loc.flags(fs, true)
	allowOlder := fs.Bool("allow-older", false, "load: replace the list with an older version (a deliberate rollback)")
	fs.Usage = func() {
		switch sub {
		case "status":
			fmt.Fprintln(stderr, "usage: egatectl watchlist status [--config FILE | --db FILE --key FILE]")
		default:
			fmt.Fprintf(stderr, "usage: egatectl watchlist %s [--config FILE | --db FILE --key FILE] FILE|-\n", sub)
		}
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	wantArgs := 1
	if sub == "status" {
		wantArgs = 0
	}
	if fs.NArg() != wantArgs {
		fs.Usage()
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "egatectl watchlist %s: %v\n", sub, err)
		return code
	}
	cfg, err := loc.resolve(true, false)
	if err != nil {
		return fail(2, err)
	}
	key, err := readKey(loc.key)
	if err != nil {
		return fail(2, err)
	}
	if _, err := os.Stat(loc.db); err != nil {
		return fail(2, fmt.Errorf("%w (egated creates the database on first start)", err))
	}
	s, err := store.Open(loc.db)
	if err != nil {
		return fail(2, err)
	}
	defer s.Close()
	ctx := context.Background()

	var in io.Reader = stdin
	if wantArgs == 1 && fs.Arg(0) != "-" {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return fail(2, err)
		}
		defer f.Close()
		in = f
	}
	switch sub {
	case "load":
		rd, err := watchlist.NewReader(in, key)
		if err != nil {
			return fail(1, err)
		}
		res, err := s.LoadWatchlist(ctx, rd, store.LoadOptions{AllowOlder: *allowOlder, Origin: "egatectl"})
		if errors.Is(err, watchlist.ErrOlder) {
			return fail(1, fmt.Errorf("%w; give --allow-older to roll back", err))
		}
		if err != nil {
			return fail(1, err)
		}
		fmt.Fprintf(stdout, "loaded version %d (issued %s): %d entries (%d lines); was version %d with %d entries\n",
			res.Status.Version, res.Status.IssuedAt.UTC().Format(time.RFC3339), res.Status.Entries, res.Lines,
			res.Previous.Version, res.Previous.Entries)
	case "delta":
		b, err := io.ReadAll(io.LimitReader(in, watchlist.MaxDeltaBytes+1))
		if err != nil {
			return fail(2, err)
		}
		d, err := watchlist.ParseDelta(b, key)
		if err != nil {
			return fail(1, err)
		}
		before, err := s.WatchlistStatus(ctx)
		if err != nil {
			return fail(2, err)
		}
		if err := s.ApplyDelta(ctx, d); err != nil {
			return fail(1, err)
		}
		after, err := s.WatchlistStatus(ctx)
		if err != nil {
			return fail(2, err)
		}
		if after.Version == before.Version {
			fmt.Fprintf(stdout, "delta version %d already applied (list at version %d); nothing changed\n", d.Version, after.Version)
		} else {
			fmt.Fprintf(stdout, "applied delta version %d: %d entries (was %d)\n", d.Version, after.Entries, before.Entries)
		}
	case "status":
		st, err := s.WatchlistStatus(ctx)
		if err != nil {
			return fail(2, err)
		}
		now := time.Now()
		fmt.Fprintf(stdout, "lane key-id: %s\n", watchlist.KeyID(key))
		if !st.Loaded() {
			fmt.Fprintln(stdout, "list: none loaded")
		} else {
			fmt.Fprintf(stdout, "list: version %d, issued %s (%s ago), %d entries, key-id %s, changed on this lane %s\n",
				st.Version, st.IssuedAt.UTC().Format(time.RFC3339), st.Age(now).Round(time.Second), st.Entries, st.KeyID,
				st.UpdatedAt.UTC().Format(time.RFC3339))
			if st.KeyID != watchlist.KeyID(key) {
				fmt.Fprintln(stdout, "warning: the list was made with another key: it cannot hit")
			}
		}
		if cfg != nil && cfg.Policy.Watchlist.Enabled {
			if stale, why := policy.Stale(cfg.Policy.Rules(), st, now); stale {
				fmt.Fprintf(stdout, "policy: %s (max_age %v, when_stale %s)\n", why, cfg.Policy.Watchlist.MaxAge.D(), cfg.Policy.Watchlist.WhenStale)
				return 1
			}
			fmt.Fprintf(stdout, "policy: fresh (max_age %v)\n", cfg.Policy.Watchlist.MaxAge.D())
		}
	}
	return 0
}
