package main

// egatectl audit verify: check the hash-chained audit log.
//
//	egatectl audit verify [--db FILE | --config FILE] [--expect SEQ:HASH] [--json]
//
// Exit codes: 0 the chain is intact, 1 it is broken (the first broken link
// is reported) or does not hold the expected head, 2 usage error or
// unreadable database. The database is opened read-only. The output ends
// with the chain's head (seq and hash). The daemon publishes its head to the
// control room (MQTT event "audit", at start and hourly); --expect checks
// that a head kept there is still an entry of the chain, which detects a
// chain rebuilt from scratch, something no on-device check can.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/egate/egate/gate/store"
)

func init() {
	register("audit", "check the hash-chained audit log: audit verify [--db FILE]", runAudit)
}

func runAudit(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: egatectl audit verify [--db FILE | --config FILE] [--expect SEQ:HASH] [--json]")
		return 2
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var loc location
	loc.flags(fs, false)
	asJSON := fs.Bool("json", false, "print one JSON object")
	expect := fs.String("expect", "", "a head kept off the device (SEQ:HASH, as published): it must still be an entry of the chain")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: egatectl audit verify [--db FILE | --config FILE] [--expect SEQ:HASH] [--json]")
		fmt.Fprintln(stderr, "Exit 0 intact, 1 broken (first broken link reported), 2 usage or unreadable database.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "egatectl audit verify: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var wantSeq int64
	var wantHash string
	if *expect != "" {
		seq, hash, ok := strings.Cut(*expect, ":")
		n, err := strconv.ParseInt(seq, 10, 64)
		if !ok || err != nil || n < 1 || len(hash) != 64 || strings.Trim(strings.ToLower(hash), "0123456789abcdef") != "" {
			fmt.Fprintln(stderr, "egatectl audit verify: --expect wants SEQ:HASH (a sequence number and 64 hex digits)")
			return 2
		}
		wantSeq, wantHash = n, strings.ToLower(hash)
	}
	s, code := loc.openReadOnly("audit verify", stderr)
	if s == nil {
		return code
	}
	defer s.CloseReadOnly()
	rep, err := s.VerifyAudit(context.Background())
	if err != nil {
		fmt.Fprintf(stderr, "egatectl audit verify: %v\n", err)
		return 2
	}
	expectMsg := ""
	if wantSeq > 0 && rep.Problem == nil {
		if expectMsg, err = checkExpected(s, rep, wantSeq, wantHash); err != nil {
			fmt.Fprintf(stderr, "egatectl audit verify: %v\n", err)
			return 2
		}
	}
	if *asJSON {
		j := map[string]any{"ok": rep.Problem == nil, "entries": rep.Entries, "first_seq": rep.FirstSeq,
			"last_seq": rep.LastSeq, "head": rep.Head, "anchor_seq": rep.AnchorSeq}
		if rep.Problem != nil {
			j["broken_seq"], j["problem"] = rep.Problem.Seq, rep.Problem.Msg
		}
		if wantSeq > 0 && rep.Problem == nil {
			j["expected_found"] = expectMsg == ""
			if expectMsg != "" {
				j["ok"], j["problem"] = false, expectMsg
			}
		}
		b, _ := json.Marshal(j)
		fmt.Fprintln(stdout, string(b))
	} else if rep.Problem != nil {
		fmt.Fprintf(stdout, "broken: %v\n", rep.Problem)
		if rep.Problem.Seq > 0 {
			fmt.Fprintf(stdout, "the chain is intact up to entry %d\n", rep.Problem.Seq-1)
		}
	} else {
		anchor := ""
		if rep.AnchorSeq > 0 {
			anchor = fmt.Sprintf(" (entries up to %d purged; the chain continues from their anchor)", rep.AnchorSeq)
		}
		switch rep.Entries {
		case 0:
			fmt.Fprintf(stdout, "ok: the audit log is empty%s\n", anchor)
		default:
			fmt.Fprintf(stdout, "ok: %d entries, %d to %d%s\nhead: %d %s\n", rep.Entries, rep.FirstSeq, rep.LastSeq, anchor, rep.LastSeq, rep.Head)
		}
		switch {
		case expectMsg != "":
			fmt.Fprintf(stdout, "broken: %s\n", expectMsg)
		case wantSeq > 0:
			fmt.Fprintf(stdout, "expected head: entry %d is in the chain with that hash\n", wantSeq)
		}
	}
	if rep.Problem != nil || expectMsg != "" {
		return 1
	}
	return 0
}

// checkExpected looks for a head kept off the device in an intact chain;
// it returns why it is not there, or "" when it is.
func checkExpected(s *store.Store, rep store.AuditReport, seq int64, hash string) (string, error) {
	if seq <= rep.AnchorSeq {
		return fmt.Sprintf("entry %d was purged (the chain continues from entry %d): compare a more recent head", seq, rep.AnchorSeq), nil
	}
	es, err := s.AuditEntries(context.Background(), seq-1, 1)
	if err != nil {
		return "", err
	}
	if len(es) == 0 || es[0].Seq != seq {
		return fmt.Sprintf("entry %d, kept off the device, is not in the chain (it ends at %d): the chain was cut or rebuilt", seq, rep.LastSeq), nil
	}
	if es[0].Hash != hash {
		return fmt.Sprintf("entry %d differs from the head kept off the device: the chain was rebuilt", seq), nil
	}
	return "", nil
}
