package main

// egatectl records: export crossing records for the central system, and
// purge records older than the retention policy.
//
//	egatectl records export [--db FILE | --config FILE] [--since T] [--until T] [--after-id N]
//	egatectl records purge  [--db FILE | --config FILE] [--before T | --retention D]
//
// export writes one JSON object per line (see ExportRecord in gate/store and
// gate/policy/README-section.md); it opens the database read-only. Names
// are not recorded by this build, so there is nothing to export with
// --names; asking for them is a usage error.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/egate/egate/cmd/internal/config"
	"github.com/egate/egate/gate/store"
)

func init() {
	register("records", "export crossing records as JSON lines, or purge old ones: records export|purge", runRecords)
}

func runRecords(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: egatectl records export|purge [flags]  (egatectl records export -h for the flags)")
		return 2
	}
	switch args[0] {
	case "export":
		return recordsExport(args[1:], stdout, stderr)
	case "purge":
		return recordsPurge(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "egatectl records: unknown subcommand %q (export, purge)\n", args[0])
	return 2
}

// location finds the database and the lane key: --db and --key win, else
// the configuration's state directory.
type location struct {
	config, db, key string
}

func (l *location) flags(fs *flag.FlagSet, withKey bool) {
	fs.StringVar(&l.config, "config", "/etc/egate/egate.yaml", "lane configuration, for the state directory and policy")
	fs.StringVar(&l.db, "db", "", "database `FILE` (default: egate.db in the configuration's state directory)")
	if withKey {
		fs.StringVar(&l.key, "key", "", "lane key `FILE` (default: the configuration's hmac_key_file or state directory)")
	}
}

// openReadOnly resolves the database and opens it read-only; on failure it
// reports under name and returns exit code 2.
func (l *location) openReadOnly(name string, stderr io.Writer) (*store.Store, int) {
	if _, err := l.resolve(false, false); err != nil {
		fmt.Fprintf(stderr, "egatectl %s: %v\n", name, err)
		return nil, 2
	}
	s, err := store.OpenReadOnly(l.db)
	if err != nil {
		fmt.Fprintf(stderr, "egatectl %s: %v\n", name, err)
		return nil, 2
	}
	return s, 0
}

// resolve fills db and key from the configuration where they were not
// given; cfg is nil when the configuration was not needed.
func (l *location) resolve(needKey, needConfig bool) (*config.Config, error) {
	if l.db != "" && (!needKey || l.key != "") && !needConfig {
		return nil, nil
	}
	c, err := config.Load(l.config)
	if err != nil {
		return nil, fmt.Errorf("%w (or give --db%s)", err, map[bool]string{true: " and --key", false: ""}[needKey])
	}
	if l.db == "" {
		l.db = c.DBFile()
	}
	if l.key == "" {
		l.key = c.KeyFile()
	}
	return &c, nil
}

// readKey reads the lane key without ever creating one: a new key would not
// match the lane's records or list.
func readKey(path string) ([]byte, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("lane key %s: %w (egated creates it on first start)", path, err)
	}
	return store.LoadOrCreateKey(path)
}

// parseTime reads RFC 3339 or a date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither YYYY-MM-DD nor an RFC 3339 time", s)
	}
	return t, nil
}

func recordsExport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("records export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var loc location
	loc.flags(fs, false)
	since := fs.String("since", "", "only passages that ended at or after `T` (YYYY-MM-DD or RFC 3339)")
	until := fs.String("until", "", "only passages that ended before `T`")
	after := fs.Int64("after-id", 0, "only records with an id above `N` (for incremental export)")
	names := fs.Bool("names", false, "include names (not supported: names are not recorded)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: egatectl records export [--db FILE | --config FILE] [--since T] [--until T] [--after-id N]")
		fmt.Fprintln(stderr, "Writes one JSON object per crossing record to stdout, oldest first.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "egatectl records export: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *names {
		fmt.Fprintln(stderr, "egatectl records export: names are not recorded by this build, so they cannot be exported")
		return 2
	}
	var f store.ExportFilter
	f.AfterID = *after
	for _, tv := range []struct {
		s  string
		to *time.Time
	}{{*since, &f.Since}, {*until, &f.Until}} {
		if tv.s == "" {
			continue
		}
		t, err := parseTime(tv.s)
		if err != nil {
			fmt.Fprintf(stderr, "egatectl records export: %v\n", err)
			return 2
		}
		*tv.to = t
	}
	s, code := loc.openReadOnly("records export", stderr)
	if s == nil {
		return code
	}
	defer s.CloseReadOnly()
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	n := 0
	err := s.ExportRecords(context.Background(), f, func(r store.ExportRecord) error {
		n++
		return enc.Encode(r)
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "egatectl records export: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "egatectl records export: %d records\n", n)
	return 0
}

func recordsPurge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("records purge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var loc location
	loc.flags(fs, false)
	before := fs.String("before", "", "purge what is older than `T` (YYYY-MM-DD or RFC 3339)")
	retention := fs.String("retention", "", "purge what is older than this `DURATION` (default: policy.records.retention)")
	scheduled := fs.Bool("scheduled", false, "run by the daily timer (egate-purge.timer): a policy.records.retention of 0 (keep everything) is nothing to do, not an error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: egatectl records purge [--db FILE | --config FILE] [--before T | --retention D] [--scheduled]")
		fmt.Fprintln(stderr, "Removes old records and the oldest part of the audit chain, leaving an anchor so the rest verifies.")
		fmt.Fprintln(stderr, "Refuses (exit 1) when the audit chain does not verify.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 || *before != "" && *retention != "" {
		fs.Usage()
		return 2
	}
	now := time.Now()
	var cut time.Time
	switch {
	case *before != "":
		t, err := parseTime(*before)
		if err != nil {
			fmt.Fprintf(stderr, "egatectl records purge: %v\n", err)
			return 2
		}
		cut = t
	case *retention != "":
		d, err := time.ParseDuration(*retention)
		if err != nil || d < 24*time.Hour {
			fmt.Fprintln(stderr, "egatectl records purge: --retention must be a duration of at least 24h, e.g. 2160h")
			return 2
		}
		cut = now.Add(-d)
	default:
		c, err := loc.resolve(false, true)
		if err != nil {
			fmt.Fprintf(stderr, "egatectl records purge: %v\n", err)
			return 2
		}
		if c.Policy.Records.Retention == 0 {
			if *scheduled {
				fmt.Fprintln(stdout, "nothing to purge: policy.records.retention is 0 (keep everything)")
				return 0
			}
			fmt.Fprintln(stderr, "egatectl records purge: policy.records.retention is 0 (keep everything); give --before or --retention")
			return 2
		}
		cut = now.Add(-c.Policy.Records.Retention.D())
	}
	if cut.After(now) {
		fmt.Fprintln(stderr, "egatectl records purge: the cut-off is in the future")
		return 2
	}
	if _, err := loc.resolve(false, false); err != nil {
		fmt.Fprintf(stderr, "egatectl records purge: %v\n", err)
		return 2
	}
	if _, err := os.Stat(loc.db); err != nil {
		fmt.Fprintf(stderr, "egatectl records purge: %v\n", err)
		return 2
	}
	s, err := store.Open(loc.db)
	if err != nil {
		fmt.Fprintf(stderr, "egatectl records purge: %v\n", err)
		return 2
	}
	defer s.Close()
	res, err := s.Purge(context.Background(), cut, now)
	if errors.Is(err, store.ErrChainBroken) {
		fmt.Fprintf(stderr, "egatectl records purge: %v\n", err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "egatectl records purge: %v\n", err)
		return 2
	}
	anchor := "nothing left the chain"
	if res.ThroughSeq > 0 {
		anchor = "chain anchored after entry " + strconv.FormatInt(res.ThroughSeq, 10)
	}
	fmt.Fprintf(stdout, "purged before %s: %d audit entries, %d decisions, %d events, %d document uses; %s; purge recorded as entry %d\n",
		cut.UTC().Format(time.RFC3339), res.Entries, res.Passages, res.Events, res.DocUses, anchor, res.Seq)
	return 0
}
