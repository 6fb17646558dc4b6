package store

// The audit chain.
//
// Each audit entry commits to the one before it:
//
//	hash = SHA-256( "egate-audit-v1" 0x00
//	              || u64be(seq)
//	              || lp(at) || lp(lane) || lp(kind)
//	              || u64be(record)
//	              || lp(body)
//	              || prev )                      (prev: the 32 raw bytes)
//
// where lp(x) is u32be(len(x)) followed by the bytes of x, and prev is the
// previous entry's hash (32 zero bytes before the first entry, the anchor's
// hash after a retention purge). hash and prev are stored in hex. The body
// is the canonical JSON of the record the entry covers (a passages or
// lane_events row, as stored), so verification also proves the records
// themselves unchanged.
//
// What it proves: any change to, insertion into or removal from the chain
// (other than a purge of its oldest part, which leaves an anchor and a
// purge entry) breaks a link that VerifyAudit finds. What it cannot prove
// on its own: that nobody with write access rebuilt the whole chain from
// the point of a change onwards. Compare the head (seq and hash, printed by
// `egatectl audit verify`) with a copy kept off the device (the control
// room's telemetry) to rule that out.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// auditTimeFmt is fixed width, so that entries compare by time as strings.
const auditTimeFmt = "2006-01-02T15:04:05.000000000Z07:00"

// ErrChainBroken is returned by Purge when the chain does not verify:
// purging would destroy the evidence.
var ErrChainBroken = errors.New("store: audit chain broken")

var zeroHash [sha256.Size]byte

// AuditEntry is one link of the chain as stored.
type AuditEntry struct {
	Seq    int64
	At     string
	Lane   string
	Kind   string
	Record int64
	Body   string
	Prev   string
	Hash   string
}

// entryHash computes an entry's hash from its fields and the previous hash.
func entryHash(seq int64, at, lane, kind string, record int64, body string, prev [sha256.Size]byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte("egate-audit-v1\x00"))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	h.Write(n[:])
	for _, s := range []string{at, lane, kind} {
		writeLP(h, s)
	}
	binary.BigEndian.PutUint64(n[:], uint64(record))
	h.Write(n[:])
	writeLP(h, body)
	h.Write(prev[:])
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

func writeLP(h interface{ Write([]byte) (int, error) }, s string) {
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(s)))
	h.Write(l[:])
	h.Write([]byte(s))
}

func decodeHash(s string) ([sha256.Size]byte, bool) {
	var h [sha256.Size]byte
	if len(s) != 2*sha256.Size {
		return h, false
	}
	_, err := hex.Decode(h[:], []byte(s))
	return h, err == nil
}

// head returns the last entry's seq and hash, or the anchor's, or (0, zero).
func head(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int64, [sha256.Size]byte, error) {
	var seq int64
	var hs string
	err := q.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hs)
	if errors.Is(err, sql.ErrNoRows) {
		err = q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_anchor WHERE id = 1`).Scan(&seq, &hs)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, zeroHash, nil
		}
	}
	if err != nil {
		return 0, zeroHash, err
	}
	h, ok := decodeHash(hs)
	if !ok {
		return 0, zeroHash, fmt.Errorf("%w: entry %d has a malformed hash", ErrChainBroken, seq)
	}
	return seq, h, nil
}

// AuditHead returns the chain's head: the last entry's sequence number and
// hash (hex), or the purge anchor's, or (0, 64 zeros) for an empty chain.
// Published off the device (the daemon sends it to the control room), it
// lets a wholesale rewrite of the chain be found: the head kept elsewhere
// must still be an entry of the chain (egatectl audit verify).
func (s *Store) AuditHead(ctx context.Context) (seq int64, hash string, err error) {
	seq, h, err := head(ctx, s.db)
	if err != nil {
		return 0, "", fmt.Errorf("store: audit head: %w", err)
	}
	return seq, hex.EncodeToString(h[:]), nil
}

// appendAudit appends an entry inside tx, which must be a write
// transaction (BEGIN IMMEDIATE), so that the head cannot move under it.
func appendAudit(ctx context.Context, tx *sql.Tx, at time.Time, lane, kind string, record int64, body string) (int64, error) {
	seq, prev, err := head(ctx, tx)
	if err != nil {
		return 0, err
	}
	seq++
	ats := at.UTC().Format(auditTimeFmt)
	h := entryHash(seq, ats, lane, kind, record, body, prev)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit (seq, at, lane, kind, record, body, prev, hash) VALUES (?,?,?,?,?,?,?,?)`,
		seq, ats, lane, kind, record, body, hex.EncodeToString(prev[:]), hex.EncodeToString(h[:]))
	return seq, err
}

// AppendAudit appends an entry of its own (not covering a passages or
// lane_events row) to the chain, e.g. for an operator action taken with
// egatectl. body must be a JSON object without personal data.
func (s *Store) AppendAudit(ctx context.Context, at time.Time, lane, kind string, body any) (int64, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, fmt.Errorf("store: audit body: %w", err)
	}
	if kind == "decision" || kind == "" {
		return 0, fmt.Errorf("store: audit kind %q is reserved or empty", kind)
	}
	var seq int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		seq, err = appendAudit(ctx, tx, at, lane, kind, 0, string(b))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: audit: %w", err)
	}
	return seq, nil
}

// AuditReport is the outcome of VerifyAudit.
type AuditReport struct {
	Entries   int64  // entries checked
	FirstSeq  int64  // 0 when the chain is empty
	LastSeq   int64  // the head
	Head      string // the head's hash, hex; compare with a copy kept off the device
	AnchorSeq int64  // the last purged entry, 0 if never purged
	// Problem is the first broken link, nil when the chain is intact.
	Problem *AuditProblem
}

// AuditProblem locates the first broken link.
type AuditProblem struct {
	Seq int64  // the entry at which the chain breaks; 0 for records outside the chain
	Msg string // what is wrong, without personal data
}

func (p *AuditProblem) Error() string {
	if p.Seq == 0 {
		return p.Msg
	}
	return fmt.Sprintf("entry %d: %s", p.Seq, p.Msg)
}

// VerifyAudit checks the whole chain: sequence, links and hashes; that each
// decision and chained event still matches its entry; that no such record
// lies outside the chain; and that a purge anchor is confirmed by the
// chain's latest purge entry. It returns an error only when the database
// cannot be read; a broken chain is reported in AuditReport.Problem.
func (s *Store) VerifyAudit(ctx context.Context) (AuditReport, error) {
	var rep AuditReport
	fail := func(seq int64, format string, args ...any) (AuditReport, error) {
		rep.Problem = &AuditProblem{Seq: seq, Msg: fmt.Sprintf(format, args...)}
		return rep, nil
	}
	// Start from the anchor, if the oldest part was purged.
	prev := zeroHash
	var anchorHash string
	err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_anchor WHERE id = 1`).Scan(&rep.AnchorSeq, &anchorHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return rep, fmt.Errorf("store: %w", err)
	default:
		h, ok := decodeHash(anchorHash)
		if !ok {
			return fail(rep.AnchorSeq+1, "the purge anchor's hash is malformed")
		}
		prev = h
	}
	expect := rep.AnchorSeq + 1

	// One pass, in seq order, over the entries and the records they cover,
	// so the first problem reported is the earliest one.
	rows, err := s.db.QueryContext(ctx, `SELECT a.seq, a.at, a.lane, a.kind, a.record, a.body, a.prev, a.hash,
		p.id, p.lane, p.passage, p.started_at, p.ended_at, p.decided_at, p.outcome, p.reasons, p.alarms, p.exited,
		p.doc_ref, p.doc_type, p.issuing_state, p.nationality, p.age_band, p.face_score, p.policy,
		p.time_in_lane_ms, p.direction,
		e.id, e.at, e.lane, e.kind, e.detail
		FROM audit a
		LEFT JOIN passages p ON a.kind = 'decision' AND p.id = a.record
		LEFT JOIN lane_events e ON a.kind != 'decision' AND a.record != 0 AND e.id = a.record
		ORDER BY a.seq`)
	if err != nil {
		return rep, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	type purgeBody struct {
		ThroughSeq  int64  `json:"through_seq"`
		ThroughHash string `json:"through_hash"`
	}
	var lastPurge *purgeBody
	var lastPurgeSeq int64
	for rows.Next() {
		var e AuditEntry
		var p joinedPassage
		var ev joinedEvent
		if err := rows.Scan(&e.Seq, &e.At, &e.Lane, &e.Kind, &e.Record, &e.Body, &e.Prev, &e.Hash,
			&p.ID, &p.Lane, &p.Passage, &p.StartedAt, &p.EndedAt, &p.DecidedAt, &p.Outcome, &p.Reasons, &p.Alarms,
			&p.Exited, &p.DocRef, &p.DocType, &p.IssuingState, &p.Nationality, &p.AgeBand, &p.FaceScore, &p.Policy,
			&p.TimeInLaneMS, &p.Direction,
			&ev.ID, &ev.At, &ev.Lane, &ev.Kind, &ev.Detail); err != nil {
			return rep, fmt.Errorf("store: %w", err)
		}
		if rep.FirstSeq == 0 {
			rep.FirstSeq = e.Seq
		}
		if e.Seq != expect {
			if e.Seq > expect {
				return fail(expect, "missing (the next entry is %d)", e.Seq)
			}
			return fail(e.Seq, "out of sequence (expected %d)", expect)
		}
		if e.Prev != hex.EncodeToString(prev[:]) {
			if e.Seq == rep.AnchorSeq+1 && rep.AnchorSeq > 0 {
				return fail(e.Seq, "does not continue from the purge anchor")
			}
			return fail(e.Seq, "does not link to entry %d (prev hash differs)", e.Seq-1)
		}
		h := entryHash(e.Seq, e.At, e.Lane, e.Kind, e.Record, e.Body, prev)
		if e.Hash != hex.EncodeToString(h[:]) {
			return fail(e.Seq, "hash does not match its content (the entry was altered)")
		}
		// The record the entry covers must be there, unchanged.
		if e.Record != 0 {
			var body string
			var found bool
			if e.Kind == "decision" {
				body, found = p.body()
			} else {
				body, found = ev.body()
			}
			switch {
			case !found:
				return fail(e.Seq, "its %s record (row %d) is missing", e.Kind, e.Record)
			case body != e.Body:
				return fail(e.Seq, "its %s record (row %d) was altered", e.Kind, e.Record)
			}
		}
		if e.Kind == "purge" {
			var pb purgeBody
			if err := json.Unmarshal([]byte(e.Body), &pb); err == nil {
				lastPurge, lastPurgeSeq = &pb, e.Seq
			}
		}
		prev, expect = h, e.Seq+1
		rep.Entries++
		rep.LastSeq, rep.Head = e.Seq, e.Hash
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("store: %w", err)
	}
	rows.Close()
	if rep.AnchorSeq > 0 {
		switch {
		case lastPurge == nil:
			return fail(0, "a purge anchor (entry %d) exists but no purge entry in the chain confirms it", rep.AnchorSeq)
		case lastPurge.ThroughSeq != rep.AnchorSeq || lastPurge.ThroughHash != anchorHash:
			return fail(lastPurgeSeq, "the purge anchor differs from what the latest purge entry recorded")
		}
	}

	// And no decision or chained event may lie outside the chain.
	var id int64
	err = s.db.QueryRowContext(ctx, `SELECT min(id) FROM passages WHERE id NOT IN
		(SELECT record FROM audit WHERE kind = 'decision')`).Scan(nullInt(&id))
	if err != nil {
		return rep, fmt.Errorf("store: %w", err)
	}
	if id != 0 {
		return fail(0, "passages row %d is not in the audit chain (inserted behind its back?)", id)
	}
	err = s.db.QueryRowContext(ctx, `SELECT min(e.id) FROM lane_events e WHERE e.kind != 'state' AND NOT EXISTS
		(SELECT 1 FROM audit a WHERE a.kind = e.kind AND a.record = e.id)`).Scan(nullInt(&id))
	if err != nil {
		return rep, fmt.Errorf("store: %w", err)
	}
	if id != 0 {
		return fail(0, "lane_events row %d is not in the audit chain (inserted behind its back?)", id)
	}
	return rep, nil
}

// joinedPassage is a passages row from an outer join: all NULL when the
// row is missing.
type joinedPassage struct {
	ID, Passage, TimeInLaneMS                                  *int64
	Lane, StartedAt, EndedAt, Outcome, Reasons, Alarms, Policy *string
	DecidedAt, DocRef, DocType, IssuingState, Nationality      *string
	AgeBand, Direction                                         *string
	Exited                                                     *bool
	FaceScore                                                  *float64
}

// body rebuilds the audit body of the row; found is false when it is gone.
// A row altered so that it cannot be encoded yields a body that matches
// nothing.
func (j joinedPassage) body() (string, bool) {
	if j.ID == nil {
		return "", false
	}
	r := passageRow{ID: *j.ID, Lane: deref(j.Lane), Passage: derefInt(j.Passage), StartedAt: deref(j.StartedAt),
		EndedAt: deref(j.EndedAt), DecidedAt: j.DecidedAt, Outcome: deref(j.Outcome),
		Reasons: json.RawMessage(deref(j.Reasons)), Alarms: json.RawMessage(deref(j.Alarms)),
		Exited: j.Exited != nil && *j.Exited, DocRef: j.DocRef, DocType: j.DocType, IssuingState: j.IssuingState,
		Nationality: j.Nationality, AgeBand: j.AgeBand, FaceScore: j.FaceScore, Policy: deref(j.Policy),
		TimeInLaneMS: derefInt(j.TimeInLaneMS), Direction: j.Direction}
	b, err := r.body()
	if err != nil {
		return "(unencodable)", true
	}
	return b, true
}

// joinedEvent is a lane_events row from an outer join.
type joinedEvent struct {
	ID                     *int64
	At, Lane, Kind, Detail *string
}

func (j joinedEvent) body() (string, bool) {
	if j.ID == nil {
		return "", false
	}
	r := eventRow{ID: *j.ID, At: deref(j.At), Lane: deref(j.Lane), Kind: deref(j.Kind), Detail: json.RawMessage(deref(j.Detail))}
	b, err := r.body()
	if err != nil {
		return "(unencodable)", true
	}
	return b, true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(n *int64) int64 {
	if n == nil {
		return 0
	}
	return *n
}

type nullIntScanner struct{ p *int64 }

func (n nullIntScanner) Scan(v any) error {
	var ni sql.NullInt64
	if err := ni.Scan(v); err != nil {
		return err
	}
	*n.p = ni.Int64
	return nil
}

func nullInt(p *int64) nullIntScanner { return nullIntScanner{p} }

// PurgeResult says what a retention purge removed.
type PurgeResult struct {
	ThroughSeq int64 // the last audit entry removed; 0: nothing was old enough
	Entries    int64
	Passages   int64
	Events     int64
	DocUses    int64
	Seq        int64 // the purge's own audit entry
}

// Purge removes what is older than before: the oldest part of the audit
// chain (every entry up to the last one before the first entry at or after
// before, so the chain stays one piece), the decisions and events those
// entries cover, state events and document uses older than before. The
// chain stays verifiable: the last removed entry becomes the anchor the
// remaining chain continues from, and a purge entry appended to the chain
// records it. Purge refuses (ErrChainBroken) to run on a chain that does
// not verify.
func (s *Store) Purge(ctx context.Context, before, now time.Time) (PurgeResult, error) {
	var res PurgeResult
	rep, err := s.VerifyAudit(ctx)
	if err != nil {
		return res, err
	}
	if rep.Problem != nil {
		return res, fmt.Errorf("%w: %v; not purging", ErrChainBroken, rep.Problem)
	}
	cut := before.UTC().Format(auditTimeFmt)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res = PurgeResult{}
		// The chain may have grown since the verification; what is appended
		// later is newer than anything purged.
		var first sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT min(seq) FROM audit WHERE at >= ?`, cut).Scan(&first); err != nil {
			return err
		}
		var through int64
		if first.Valid {
			through = first.Int64 - 1
		} else if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(seq), 0) FROM audit`).Scan(&through); err != nil {
			return err
		}
		var throughHash string
		if through > 0 {
			err := tx.QueryRowContext(ctx, `SELECT hash FROM audit WHERE seq = ?`, through).Scan(&throughHash)
			if errors.Is(err, sql.ErrNoRows) {
				through = 0 // already purged up to here
			} else if err != nil {
				return err
			}
		}
		if through > 0 {
			n, err := execN(ctx, tx, `DELETE FROM passages WHERE id IN (SELECT record FROM audit WHERE seq <= ? AND kind = 'decision')`, through)
			if err != nil {
				return err
			}
			res.Passages = n
			if n, err = execN(ctx, tx, `DELETE FROM lane_events WHERE id IN (SELECT record FROM audit WHERE seq <= ? AND kind != 'decision' AND record != 0)`, through); err != nil {
				return err
			}
			res.Events = n
			if n, err = execN(ctx, tx, `DELETE FROM audit WHERE seq <= ?`, through); err != nil {
				return err
			}
			res.Entries = n
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_anchor (id, seq, hash, at) VALUES (1, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at`,
				through, throughHash, now.UTC().Format(auditTimeFmt)); err != nil {
				return err
			}
			res.ThroughSeq = through
		}
		n, err := execN(ctx, tx, `DELETE FROM lane_events WHERE kind = 'state' AND julianday(at) < julianday(?)`, before.UTC().Format(timeFmt))
		if err != nil {
			return err
		}
		res.Events += n
		if res.DocUses, err = execN(ctx, tx, `DELETE FROM doc_uses WHERE COALESCE(closed_ms, opened_ms) < ?`, before.UnixMilli()); err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]any{
			"op": "purge", "before": before.UTC().Format(time.RFC3339), "through_seq": res.ThroughSeq,
			"through_hash": throughHash, "entries": res.Entries, "passages": res.Passages, "events": res.Events,
			"doc_uses": res.DocUses,
		})
		if res.ThroughSeq == 0 {
			// Nothing left the chain: the anchor (if any) is unchanged and
			// must stay confirmed by the latest purge entry.
			var aSeq int64
			var aHash string
			err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_anchor WHERE id = 1`).Scan(&aSeq, &aHash)
			if err == nil {
				body, _ = json.Marshal(map[string]any{
					"op": "purge", "before": before.UTC().Format(time.RFC3339), "through_seq": aSeq,
					"through_hash": aHash, "entries": 0, "passages": 0, "events": res.Events, "doc_uses": res.DocUses,
				})
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		res.Seq, err = appendAudit(ctx, tx, now, "", "purge", 0, string(body))
		return err
	})
	if err != nil {
		return PurgeResult{}, fmt.Errorf("store: purge: %w", err)
	}
	return res, nil
}

func execN(ctx context.Context, tx *sql.Tx, q string, args ...any) (int64, error) {
	r, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// OpenReadOnly opens an existing database for reading only, without
// migrating it: for verification and export, which must not change the
// evidence they read.
func OpenReadOnly(path string) (*Store, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(1)
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	if v < 3 {
		db.Close()
		if v == 0 {
			return nil, fmt.Errorf("store: %s is not an egate database (or does not exist)", path)
		}
		return nil, fmt.Errorf("store: %s has schema %d, older than the audit chain (3); open it once with egated", path, v)
	}
	if v > len(migrations) {
		db.Close()
		return nil, fmt.Errorf("store: %s has schema %d, newer than this build (%d)", path, v, len(migrations))
	}
	return &Store{db: db}, nil
}

// CloseReadOnly closes a store opened with OpenReadOnly (Close would try to
// checkpoint the WAL).
func (s *Store) CloseReadOnly() error { return s.db.Close() }

// AuditEntries returns entries with seq > after, oldest first (for tools).
func (s *Store) AuditEntries(ctx context.Context, after int64, limit int) ([]AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, lane, kind, record, body, prev, hash FROM audit
		WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.Seq, &e.At, &e.Lane, &e.Kind, &e.Record, &e.Body, &e.Prev, &e.Hash); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
