// Package store keeps the lane's records in one SQLite file: decisions on
// passages (with reasons and timings, no biometrics, document numbers only
// as keyed HMACs) and lane events (state changes, alarms, commands).
//
// # Who may import it
//
// cmd/ and the edges that need records (mqtt's outbox). The gate state
// machine never does. This is one of the two packages that use cgo
// (mattn/go-sqlite3); built without cgo, Open fails at once, which the
// daemon reports at start-up.
//
// # Durability
//
// The database runs in WAL mode with synchronous=FULL: every committed
// transaction is fsynced to the WAL before Commit returns, so a decision the
// daemon reported as recorded survives a power cut. NORMAL would be faster
// but may lose the last transactions on power loss, which is unacceptable
// for border crossing records; a lane writes a few rows per minute, so the
// cost of FULL does not matter.
//
// # Schema
//
// Migrations are numbered and applied in order inside a transaction;
// PRAGMA user_version records the last applied one.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // SQLite driver (cgo)
)

// Store is the lane's SQLite database.
type Store struct {
	db *sql.DB
}

// migrations are applied in order; never edit one that has shipped, add a
// new one. Each feature keeps its schema in its own file.
var migrations = []string{
	migrationBase,    // 1: passages and lane events
	migrationOutbox,  // 2: MQTT outbox (outbox.go)
	migrationRecords, // 3: audit chain, watchlist, duplicate-use (records.go)
}

const migrationBase = `CREATE TABLE passages (
		id            INTEGER PRIMARY KEY,
		lane          TEXT NOT NULL,
		passage       INTEGER NOT NULL,
		started_at    TEXT NOT NULL,
		ended_at      TEXT NOT NULL,
		decided_at    TEXT,
		outcome       TEXT NOT NULL,
		reasons       TEXT NOT NULL,  -- JSON array
		alarms        TEXT NOT NULL,  -- JSON array
		exited        INTEGER NOT NULL,
		doc_ref       TEXT,           -- keyed HMAC, never the number
		doc_type      TEXT,
		issuing_state TEXT,
		nationality   TEXT,
		age_band      TEXT,
		face_score    REAL,
		policy        TEXT NOT NULL,
		time_in_lane_ms INTEGER NOT NULL
	);
	CREATE INDEX passages_doc_ref ON passages(doc_ref);
	CREATE TABLE lane_events (
		id     INTEGER PRIMARY KEY,
		at     TEXT NOT NULL,
		lane   TEXT NOT NULL,
		kind   TEXT NOT NULL,
		detail TEXT NOT NULL          -- JSON object, no personal data
	);`

// Open opens (creating if needed) the database at path and migrates it.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	dsn := "file:" + path + "?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises anyway
	s := &Store{db: db}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate() error {
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("store: reading schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("store: database schema %d is newer than this build (%d); refusing to touch it", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := s.db.Begin()
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if _, err := tx.Exec(migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
		if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
	}
	return nil
}

// DB exposes the database to other record keepers in this binary (the MQTT
// outbox) so that they share one connection and one file.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database, checkpointing the WAL.
func (s *Store) Close() error {
	_, _ = s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return s.db.Close()
}

// Passage is one passage record.
type Passage struct {
	Lane         string
	Passage      uint64
	Start, End   time.Time
	DecidedAt    time.Time
	Outcome      string
	Reasons      []string
	Alarms       []string
	Exited       bool
	DocRef       string
	DocType      string
	IssuingState string
	Nationality  string
	AgeBand      string
	FaceScore    *float64
	Policy       string
}

const timeFmt = time.RFC3339Nano

// RecordPassage commits a passage record. When it returns nil the record is
// on disk.
func (s *Store) RecordPassage(ctx context.Context, p Passage) (int64, error) {
	reasons, _ := json.Marshal(nonNil(p.Reasons))
	alarms, _ := json.Marshal(nonNil(p.Alarms))
	var decided any
	if !p.DecidedAt.IsZero() {
		decided = p.DecidedAt.UTC().Format(timeFmt)
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO passages
		(lane, passage, started_at, ended_at, decided_at, outcome, reasons, alarms, exited,
		 doc_ref, doc_type, issuing_state, nationality, age_band, face_score, policy, time_in_lane_ms)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		p.Lane, p.Passage, p.Start.UTC().Format(timeFmt), p.End.UTC().Format(timeFmt), decided, p.Outcome,
		string(reasons), string(alarms), p.Exited, nullStr(p.DocRef), nullStr(p.DocType), nullStr(p.IssuingState),
		nullStr(p.Nationality), nullStr(p.AgeBand), p.FaceScore, p.Policy, p.End.Sub(p.Start).Milliseconds())
	if err != nil {
		return 0, fmt.Errorf("store: recording passage: %w", err)
	}
	return res.LastInsertId()
}

// Passages returns the most recent passages, newest first.
func (s *Store) Passages(ctx context.Context, limit int) ([]Passage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT lane, passage, started_at, ended_at, COALESCE(decided_at,''),
		outcome, reasons, alarms, exited, COALESCE(doc_ref,''), COALESCE(doc_type,''), COALESCE(issuing_state,''),
		COALESCE(nationality,''), COALESCE(age_band,''), face_score, policy
		FROM passages ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []Passage
	for rows.Next() {
		var p Passage
		var start, end, decided, reasons, alarms string
		if err := rows.Scan(&p.Lane, &p.Passage, &start, &end, &decided, &p.Outcome, &reasons, &alarms, &p.Exited,
			&p.DocRef, &p.DocType, &p.IssuingState, &p.Nationality, &p.AgeBand, &p.FaceScore, &p.Policy); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		p.Start, _ = time.Parse(timeFmt, start)
		p.End, _ = time.Parse(timeFmt, end)
		if decided != "" {
			p.DecidedAt, _ = time.Parse(timeFmt, decided)
		}
		_ = json.Unmarshal([]byte(reasons), &p.Reasons)
		_ = json.Unmarshal([]byte(alarms), &p.Alarms)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Event is a lane event record.
type Event struct {
	ID     int64
	At     time.Time
	Lane   string
	Kind   string // state, alarm, command, fault
	Detail map[string]any
}

// RecordEvent commits a lane event.
func (s *Store) RecordEvent(ctx context.Context, e Event) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return fmt.Errorf("store: event detail: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO lane_events (at, lane, kind, detail) VALUES (?,?,?,?)`,
		e.At.UTC().Format(timeFmt), e.Lane, e.Kind, string(detail))
	if err != nil {
		return fmt.Errorf("store: recording event: %w", err)
	}
	return nil
}

// Events returns events with id > after, oldest first.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, lane, kind, detail FROM lane_events WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at, detail string
		if err := rows.Scan(&e.ID, &at, &e.Lane, &e.Kind, &detail); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		e.At, _ = time.Parse(timeFmt, at)
		_ = json.Unmarshal([]byte(detail), &e.Detail)
		out = append(out, e)
	}
	return out, rows.Err()
}

// IntegrityCheck runs PRAGMA integrity_check.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	var res []string
	rows, err := s.db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return err
		}
		res = append(res, r)
	}
	if len(res) != 1 || res[0] != "ok" {
		return fmt.Errorf("store: integrity check failed: %s", strings.Join(res, "; "))
	}
	return rows.Err()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// KeySize is the size of the document-reference HMAC key.
const KeySize = 32

// LoadOrCreateKey reads the HMAC key at path, or creates one (0600) on
// first start. A key of the wrong size is an error, never replaced: the old
// records would no longer match.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("store: key file %s must hold %d hex-encoded bytes", path, KeySize)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("store: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	f.Close()
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return key, nil
}
