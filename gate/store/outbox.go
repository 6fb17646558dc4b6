package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/egate/egate/mqtt/outbox"
	"strings"
	"time"
)

// migrationOutbox holds the MQTT outbox schema (issue 7): the messages
// waiting for a PUBACK, the per-lane counters, and the command nonces seen
// (so that a restart does not reopen a replay window).
const migrationOutbox = `CREATE TABLE mqtt_outbox (
		seq        INTEGER PRIMARY KEY,  -- per-lane sequence number (in the payload); publish order
		id         TEXT NOT NULL UNIQUE, -- message id (in the payload)
		class      INTEGER NOT NULL,     -- OutboxClass: 0 keep, 1 event, 2 telemetry
		topic      TEXT NOT NULL,        -- full MQTT topic
		payload    BLOB NOT NULL,        -- JSON, no personal data
		created_at TEXT NOT NULL
	);
	CREATE INDEX mqtt_outbox_class ON mqtt_outbox(class, seq);
	CREATE TABLE mqtt_counters (
		name  TEXT PRIMARY KEY,
		value INTEGER NOT NULL
	) WITHOUT ROWID;
	INSERT INTO mqtt_counters (name, value) VALUES ('seq', 0), ('session', 0), ('dropped', 0);
	CREATE TABLE mqtt_nonces (
		nonce      TEXT PRIMARY KEY,
		key_id     TEXT NOT NULL,
		expires_at INTEGER NOT NULL,     -- unix seconds; the row is kept past this (see NonceRemember)
		seen_at    TEXT NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX mqtt_nonces_expiry ON mqtt_nonces(expires_at);`

// The outbox types live in the pure package mqtt/outbox so that mqtt/
// needs no cgo; these aliases keep the store's names.
type (
	OutboxClass = outbox.Class
	OutboxMsg   = outbox.Msg
	OutboxAdded = outbox.Added
	OutboxStats = outbox.Stats
)

const (
	OutboxKeep      = outbox.Keep
	OutboxEvent     = outbox.Event
	OutboxTelemetry = outbox.Telemetry
)

// ErrOutboxBuild wraps an error returned by the build function of OutboxAdd.
var ErrOutboxBuild = outbox.ErrBuild

var _ outbox.Store = (*Store)(nil)

// RecordCommand writes a command and its outcome as a lane event.
func (s *Store) RecordCommand(ctx context.Context, at time.Time, lane string, detail map[string]any) error {
	return s.RecordEvent(ctx, Event{At: at, Lane: lane, Kind: "command", Detail: detail})
}

// OutboxAdd commits one message to the outbox, in one transaction: it
// makes room if the outbox holds bound messages or more, takes the next
// sequence number, calls build with it (the sequence number goes into the
// payload) and inserts what build returns. When it returns nil the message
// is on disk.
//
// Drop policy when full: telemetry goes first, then events, oldest first
// within a class; a new message only ever displaces messages of its own
// class or a more droppable one. OutboxKeep messages are never dropped: if
// nothing else can make room they are stored beyond the bound. A droppable
// message that finds no room is not stored (Stored false) and counted as
// dropped.
func (s *Store) OutboxAdd(ctx context.Context, bound int, class OutboxClass, build func(seq int64) (OutboxMsg, error)) (OutboxAdded, error) {
	if bound <= 0 {
		return OutboxAdded{}, errors.New("store: outbox bound must be positive")
	}
	if class < OutboxKeep || class > OutboxTelemetry {
		return OutboxAdded{}, fmt.Errorf("store: unknown outbox class %d", int(class))
	}
	var res OutboxAdded
	err := s.outboxTx(ctx, func(tx *sql.Tx) error {
		var depth int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM mqtt_outbox`).Scan(&depth); err != nil {
			return err
		}
		if depth >= bound {
			evictFrom := max(class, OutboxEvent) // never OutboxKeep
			r, err := tx.ExecContext(ctx, `DELETE FROM mqtt_outbox WHERE seq IN (
				SELECT seq FROM mqtt_outbox WHERE class >= ? ORDER BY class DESC, seq LIMIT ?)`,
				int(evictFrom), depth-bound+1)
			if err != nil {
				return err
			}
			n, _ := r.RowsAffected()
			res.Dropped = int(n)
			depth -= int(n)
			if depth >= bound && class != OutboxKeep {
				res.Depth = depth
				return outboxBump(ctx, tx, "dropped", int64(res.Dropped)+1, nil)
			}
			if n > 0 {
				if err := outboxBump(ctx, tx, "dropped", n, nil); err != nil {
					return err
				}
			}
		}
		var seq int64
		if err := outboxBump(ctx, tx, "seq", 1, &seq); err != nil {
			return err
		}
		m, err := build(seq)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrOutboxBuild, err)
		}
		m.Seq, m.Class = seq, class
		if m.Created.IsZero() {
			m.Created = time.Now()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO mqtt_outbox (seq, id, class, topic, payload, created_at)
			VALUES (?,?,?,?,?,?)`, m.Seq, m.ID, int(m.Class), m.Topic, m.Payload, m.Created.UTC().Format(timeFmt)); err != nil {
			return err
		}
		res.Msg, res.Stored, res.Depth = m, true, depth+1
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrOutboxBuild) {
			return OutboxAdded{}, err
		}
		return OutboxAdded{}, fmt.Errorf("store: outbox add: %w", err)
	}
	return res, nil
}

// OutboxPeek returns up to limit messages with a sequence number above
// after, oldest first.
func (s *Store) OutboxPeek(ctx context.Context, after int64, limit int) ([]OutboxMsg, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, id, class, topic, payload, created_at FROM mqtt_outbox
		WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: outbox peek: %w", err)
	}
	defer rows.Close()
	var out []OutboxMsg
	for rows.Next() {
		var m OutboxMsg
		var class int
		var created string
		if err := rows.Scan(&m.Seq, &m.ID, &class, &m.Topic, &m.Payload, &created); err != nil {
			return nil, fmt.Errorf("store: outbox peek: %w", err)
		}
		m.Class = OutboxClass(class)
		m.Created, _ = time.Parse(timeFmt, created)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: outbox peek: %w", err)
	}
	return out, nil
}

// OutboxDelete removes delivered messages (their PUBACK arrived). Unknown
// sequence numbers are ignored. It returns how many rows went.
func (s *Store) OutboxDelete(ctx context.Context, seqs ...int64) (int, error) {
	if len(seqs) == 0 {
		return 0, nil
	}
	total := 0
	err := s.outboxTx(ctx, func(tx *sql.Tx) error {
		for len(seqs) > 0 {
			n := min(len(seqs), 500) // below SQLite's bound on host parameters
			args := make([]any, n)
			for i, q := range seqs[:n] {
				args[i] = q
			}
			r, err := tx.ExecContext(ctx, `DELETE FROM mqtt_outbox WHERE seq IN (?`+strings.Repeat(",?", n-1)+`)`, args...)
			if err != nil {
				return err
			}
			k, _ := r.RowsAffected()
			total += int(k)
			seqs = seqs[n:]
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: outbox delete: %w", err)
	}
	return total, nil
}

// OutboxStats reads the outbox counters.
func (s *Store) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	rows, err := s.db.QueryContext(ctx, `SELECT class, COUNT(*) FROM mqtt_outbox GROUP BY class`)
	if err != nil {
		return st, fmt.Errorf("store: outbox stats: %w", err)
	}
	for rows.Next() {
		var class, n int
		if err := rows.Scan(&class, &n); err != nil {
			rows.Close()
			return st, fmt.Errorf("store: outbox stats: %w", err)
		}
		if class >= 0 && class < len(st.ByClass) {
			st.ByClass[class] = n
		}
		st.Depth += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("store: outbox stats: %w", err)
	}
	var oldest sql.NullString
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT created_at FROM mqtt_outbox ORDER BY seq LIMIT 1),
		(SELECT value FROM mqtt_counters WHERE name = 'seq'), (SELECT value FROM mqtt_counters WHERE name = 'dropped')`).
		Scan(&oldest, &st.LastSeq, &st.Dropped)
	if err != nil {
		return st, fmt.Errorf("store: outbox stats: %w", err)
	}
	if oldest.Valid {
		st.Oldest, _ = time.Parse(timeFmt, oldest.String)
	}
	return st, nil
}

// OutboxNextSession returns a new MQTT session number, one more than the
// last, persisted (the bdSeq of the birth and last will).
func (s *Store) OutboxNextSession(ctx context.Context) (int64, error) {
	var v int64
	err := s.outboxTx(ctx, func(tx *sql.Tx) error { return outboxBump(ctx, tx, "session", 1, &v) })
	if err != nil {
		return 0, fmt.Errorf("store: outbox session: %w", err)
	}
	return v, nil
}

// NonceRemember records a command nonce, committed before the command is
// carried out. It reports false if the nonce was seen before (a replay).
// Nonces are kept until retain after their expiry, so that a clock set back
// by less than retain cannot reopen a replay; older ones are purged here.
func (s *Store) NonceRemember(ctx context.Context, nonce, keyID string, expires, now time.Time, retain time.Duration) (bool, error) {
	fresh := false
	err := s.outboxTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mqtt_nonces WHERE expires_at < ?`, now.Add(-retain).Unix()); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO mqtt_nonces (nonce, key_id, expires_at, seen_at) VALUES (?,?,?,?)`,
			nonce, keyID, expires.Unix(), now.UTC().Format(timeFmt))
		if err != nil {
			return err
		}
		n, _ := r.RowsAffected()
		fresh = n == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: nonce: %w", err)
	}
	return fresh, nil
}

// outboxTx runs fn in a transaction (BEGIN IMMEDIATE, see the DSN) and commits.
func (s *Store) outboxTx(ctx context.Context, fn func(*sql.Tx) error) error {
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

// outboxBump adds delta to a counter in mqtt_counters and, if v is not
// nil, stores the new value in it.
func outboxBump(ctx context.Context, tx *sql.Tx, name string, delta int64, v *int64) error {
	var got int64
	err := tx.QueryRowContext(ctx, `UPDATE mqtt_counters SET value = value + ? WHERE name = ? RETURNING value`, delta, name).Scan(&got)
	if err != nil {
		return fmt.Errorf("counter %s: %w", name, err)
	}
	if v != nil {
		*v = got
	}
	return nil
}
