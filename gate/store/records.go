package store

// Records (issue 6): decisions and chained events, the hash-chained audit
// log (audit.go), the offline watchlist (watchlist.go) and the document
// uses behind duplicate-use detection.
//
// Every decision, and every lane event other than a state change, is written
// together with its audit entry in one transaction: a record is on disk
// with its link in the chain, or not at all.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/egate/egate/gate/policy"
)

// migrationRecords holds the audit chain, watchlist and duplicate-use schema (issue 6).
const migrationRecords = `
	ALTER TABLE passages ADD COLUMN direction TEXT;  -- entry | exit | NULL (not configured)

	CREATE TABLE audit (
		seq    INTEGER PRIMARY KEY,   -- 1, 2, 3... without gaps (after the anchor)
		at     TEXT NOT NULL,         -- UTC, fixed width: 2026-11-23T08:00:00.000000000Z
		lane   TEXT NOT NULL,         -- '' for device-wide entries (watchlist, purge)
		kind   TEXT NOT NULL,         -- decision | alarm | command | ... | watchlist | purge
		record INTEGER NOT NULL,      -- passages.id (decision) or lane_events.id; 0: none
		body   TEXT NOT NULL,         -- canonical JSON of the record; no personal data
		prev   TEXT NOT NULL,         -- hash of the previous entry (or of the anchor)
		hash   TEXT NOT NULL          -- SHA-256 over this entry and prev; see audit.go
	);
	CREATE INDEX audit_record ON audit(kind, record);
	CREATE INDEX audit_at ON audit(at);
	-- The last entry removed by a retention purge: the chain continues from it.
	CREATE TABLE audit_anchor (
		id   INTEGER PRIMARY KEY CHECK (id = 1),
		seq  INTEGER NOT NULL,
		hash TEXT NOT NULL,
		at   TEXT NOT NULL
	);

	-- Lost and stolen documents: keyed HMACs only, never the numbers.
	CREATE TABLE watchlist (ref BLOB PRIMARY KEY) WITHOUT ROWID;
	CREATE TABLE watchlist_meta (
		id         INTEGER PRIMARY KEY CHECK (id = 1),
		version    INTEGER NOT NULL,
		issued_at  TEXT NOT NULL,
		updated_at TEXT NOT NULL,
		entries    INTEGER NOT NULL,
		key_id     TEXT NOT NULL
	);

	-- Uses of a document on this lane, for duplicate-use detection: opened
	-- when the document is checked, closed with the passage's outcome.
	CREATE TABLE doc_uses (
		id        INTEGER PRIMARY KEY,
		doc_ref   TEXT NOT NULL,
		lane      TEXT NOT NULL,
		passage   INTEGER NOT NULL,
		opened_ms INTEGER NOT NULL,
		closed_ms INTEGER,           -- NULL while the passage is open
		outcome   TEXT
	);
	CREATE INDEX doc_uses_ref ON doc_uses(doc_ref, lane);`

// Decision is a passage record together with what the export needs and
// the passage record of store.go does not carry.
type Decision struct {
	Passage
	// Direction is the lane's direction of travel: "entry", "exit" or ""
	// (not configured).
	Direction string
}

// passageRow is a passages row as stored, in the column order of the
// table. Its JSON form is the body of the row's audit entry, so that
// verification can rebuild it from the row and compare.
type passageRow struct {
	ID           int64           `json:"id"`
	Lane         string          `json:"lane"`
	Passage      int64           `json:"passage"`
	StartedAt    string          `json:"started_at"`
	EndedAt      string          `json:"ended_at"`
	DecidedAt    *string         `json:"decided_at"`
	Outcome      string          `json:"outcome"`
	Reasons      json.RawMessage `json:"reasons"`
	Alarms       json.RawMessage `json:"alarms"`
	Exited       bool            `json:"exited"`
	DocRef       *string         `json:"doc_ref"`
	DocType      *string         `json:"doc_type"`
	IssuingState *string         `json:"issuing_state"`
	Nationality  *string         `json:"nationality"`
	AgeBand      *string         `json:"age_band"`
	FaceScore    *float64        `json:"face_score"`
	Policy       string          `json:"policy"`
	TimeInLaneMS int64           `json:"time_in_lane_ms"`
	Direction    *string         `json:"direction"`
}

const passageCols = `id, lane, passage, started_at, ended_at, decided_at, outcome, reasons, alarms, exited,
	doc_ref, doc_type, issuing_state, nationality, age_band, face_score, policy, time_in_lane_ms, direction`

func (r *passageRow) scan(sc interface{ Scan(...any) error }) error {
	var reasons, alarms string
	err := sc.Scan(&r.ID, &r.Lane, &r.Passage, &r.StartedAt, &r.EndedAt, &r.DecidedAt, &r.Outcome, &reasons, &alarms,
		&r.Exited, &r.DocRef, &r.DocType, &r.IssuingState, &r.Nationality, &r.AgeBand, &r.FaceScore, &r.Policy,
		&r.TimeInLaneMS, &r.Direction)
	r.Reasons, r.Alarms = json.RawMessage(reasons), json.RawMessage(alarms)
	return err
}

// body is the canonical JSON of the row. A row whose JSON columns were
// altered into invalid JSON cannot be encoded: that is a mismatch too.
func (r *passageRow) body() (string, error) {
	b, err := json.Marshal(r)
	return string(b), err
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// RecordDecision commits a passage record, closes the document's use and
// appends the decision to the audit chain, in one transaction. When it
// returns nil, all three are on disk.
func (s *Store) RecordDecision(ctx context.Context, d Decision) (int64, error) {
	p := d.Passage
	reasons, _ := json.Marshal(nonNil(p.Reasons))
	alarms, _ := json.Marshal(nonNil(p.Alarms))
	row := passageRow{
		Lane: p.Lane, Passage: int64(p.Passage), StartedAt: p.Start.UTC().Format(timeFmt), EndedAt: p.End.UTC().Format(timeFmt),
		Outcome: p.Outcome, Reasons: reasons, Alarms: alarms, Exited: p.Exited,
		DocRef: strPtr(p.DocRef), DocType: strPtr(p.DocType), IssuingState: strPtr(p.IssuingState),
		Nationality: strPtr(p.Nationality), AgeBand: strPtr(p.AgeBand), FaceScore: p.FaceScore, Policy: p.Policy,
		TimeInLaneMS: p.End.Sub(p.Start).Milliseconds(), Direction: strPtr(d.Direction),
	}
	if !p.DecidedAt.IsZero() {
		row.DecidedAt = strPtr(p.DecidedAt.UTC().Format(timeFmt))
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO passages
			(lane, passage, started_at, ended_at, decided_at, outcome, reasons, alarms, exited,
			 doc_ref, doc_type, issuing_state, nationality, age_band, face_score, policy, time_in_lane_ms, direction)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			row.Lane, row.Passage, row.StartedAt, row.EndedAt, row.DecidedAt, row.Outcome, string(row.Reasons),
			string(row.Alarms), row.Exited, row.DocRef, row.DocType, row.IssuingState, row.Nationality, row.AgeBand,
			row.FaceScore, row.Policy, row.TimeInLaneMS, row.Direction)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		row.ID = id
		if p.DocRef != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE doc_uses SET closed_ms = ?, outcome = ?
				WHERE id = (SELECT max(id) FROM doc_uses WHERE doc_ref = ? AND lane = ? AND passage = ? AND closed_ms IS NULL)`,
				p.End.UnixMilli(), p.Outcome, p.DocRef, p.Lane, p.Passage); err != nil {
				return err
			}
		}
		body, err := row.body()
		if err != nil {
			return err
		}
		_, err = appendAudit(ctx, tx, p.End, p.Lane, "decision", id, body)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: recording decision: %w", err)
	}
	return id, nil
}

// eventRow is a lane_events row as stored; its JSON is the audit body.
type eventRow struct {
	ID     int64           `json:"id"`
	At     string          `json:"at"`
	Lane   string          `json:"lane"`
	Kind   string          `json:"kind"`
	Detail json.RawMessage `json:"detail"`
}

func (r *eventRow) body() (string, error) {
	b, err := json.Marshal(r)
	return string(b), err
}

// unchainedKinds are lane events kept out of the audit chain: state
// changes are many and carry nothing an auditor needs beyond the decisions,
// alarms and commands.
var unchainedKinds = map[string]bool{"state": true}

// RecordEventChained commits a lane event; alarms, commands and every kind
// but state changes are appended to the audit chain in the same
// transaction. The daemon uses it instead of RecordEvent.
func (s *Store) RecordEventChained(ctx context.Context, e Event) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return fmt.Errorf("store: event detail: %w", err)
	}
	row := eventRow{At: e.At.UTC().Format(timeFmt), Lane: e.Lane, Kind: e.Kind, Detail: detail}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO lane_events (at, lane, kind, detail) VALUES (?,?,?,?)`,
			row.At, row.Lane, row.Kind, string(row.Detail))
		if err != nil {
			return err
		}
		if unchainedKinds[e.Kind] {
			return nil
		}
		if row.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		body, err := row.body()
		if err != nil {
			return err
		}
		_, err = appendAudit(ctx, tx, e.At, e.Lane, e.Kind, row.ID, body)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: recording event: %w", err)
	}
	return nil
}

// OpenDocUse reports the earlier uses of a document on the lane and opens
// a use for this passage, in one transaction. RecordDecision closes it.
func (s *Store) OpenDocUse(ctx context.Context, lane string, passage uint64, docRef string, at time.Time) (policy.PriorUse, error) {
	var prior policy.PriorUse
	if docRef == "" {
		return prior, errors.New("store: OpenDocUse needs a document reference")
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var open, accepted sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT max(opened_ms) FROM doc_uses WHERE doc_ref = ?1 AND lane = ?2 AND closed_ms IS NULL),
			(SELECT max(closed_ms) FROM doc_uses WHERE doc_ref = ?1 AND lane = ?2 AND outcome = 'accept')`,
			docRef, lane).Scan(&open, &accepted); err != nil {
			return err
		}
		if open.Valid {
			prior.OpenSince = time.UnixMilli(open.Int64)
		}
		if accepted.Valid {
			prior.LastAccepted = time.UnixMilli(accepted.Int64)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO doc_uses (doc_ref, lane, passage, opened_ms) VALUES (?,?,?,?)`,
			docRef, lane, passage, at.UnixMilli())
		return err
	})
	if err != nil {
		return policy.PriorUse{}, fmt.Errorf("store: document use: %w", err)
	}
	return prior, nil
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE: the DSN's
// _txlock), so that reading the chain's head and appending to it cannot
// interleave with another writer, in this process or another.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// ExportRecord is one crossing record for the central system. It holds no
// document reference and no name (names are not recorded at all).
type ExportRecord struct {
	ID           int64    `json:"id"`
	Time         string   `json:"time"` // end of the passage, RFC 3339 UTC
	DecidedAt    string   `json:"decided_at,omitempty"`
	Lane         string   `json:"lane"`
	Passage      int64    `json:"passage"`
	Direction    *string  `json:"direction"`
	DocumentType *string  `json:"document_type"`
	IssuingState *string  `json:"issuing_state"`
	Nationality  *string  `json:"nationality"`
	AgeBand      *string  `json:"age_band"`
	Decision     string   `json:"decision"`
	Reasons      []string `json:"reasons"`
	Alarms       []string `json:"alarms"`
	Exited       bool     `json:"exited"`
	Policy       string   `json:"policy"`
	TimeInLaneMS int64    `json:"time_in_lane_ms"`
}

// ExportFilter selects the records to export.
type ExportFilter struct {
	AfterID int64     // only records with a larger id (for incremental export)
	Since   time.Time // zero: no lower bound (by the end of the passage)
	Until   time.Time // zero: no upper bound (exclusive)
}

// ExportRecords calls fn for each crossing record, oldest first.
func (s *Store) ExportRecords(ctx context.Context, f ExportFilter, fn func(ExportRecord) error) error {
	q := `SELECT ` + passageCols + ` FROM passages WHERE id > ?`
	args := []any{f.AfterID}
	if !f.Since.IsZero() {
		q += ` AND julianday(ended_at) >= julianday(?)`
		args = append(args, f.Since.UTC().Format(timeFmt))
	}
	if !f.Until.IsZero() {
		q += ` AND julianday(ended_at) < julianday(?)`
		args = append(args, f.Until.UTC().Format(timeFmt))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r passageRow
		if err := r.scan(rows); err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
		e := ExportRecord{
			ID: r.ID, Time: r.EndedAt, Lane: r.Lane, Passage: r.Passage, Direction: r.Direction,
			DocumentType: r.DocType, IssuingState: r.IssuingState, Nationality: r.Nationality, AgeBand: r.AgeBand,
			Decision: r.Outcome, Exited: r.Exited, Policy: r.Policy, TimeInLaneMS: r.TimeInLaneMS,
			Reasons: []string{}, Alarms: []string{},
		}
		if r.DecidedAt != nil {
			e.DecidedAt = *r.DecidedAt
		}
		_ = json.Unmarshal(r.Reasons, &e.Reasons)
		_ = json.Unmarshal(r.Alarms, &e.Alarms)
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}
