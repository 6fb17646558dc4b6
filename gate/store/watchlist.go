package store

// The offline watchlist: keyed HMACs of lost and stolen documents (see
// gate/watchlist), one primary-key probe per traveller.
//
// A full load reads and sorts the file in memory, writes it in key order
// into a staging table in chunks of short transactions, then swaps it in with two table renames in one transaction:
// the daemon, which shares the file, never waits more than a chunk for the
// write lock (busy_timeout is 5 s), and a look-up sees either the old list
// or the new one, never half of each. Deltas apply in one transaction each.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/egate/egate/gate/watchlist"
)

// loadChunk is how many entries one staging transaction writes: short
// enough that the daemon never waits long for the write lock.
const loadChunk = 50_000

// insertBatch is how many rows one INSERT statement carries.
const insertBatch = 250

// WatchlistStatus describes the list held.
func (s *Store) WatchlistStatus(ctx context.Context) (watchlist.Status, error) {
	st, err := watchlistStatus(ctx, s.db)
	if err != nil {
		return st, fmt.Errorf("store: watchlist: %w", err)
	}
	return st, nil
}

func watchlistStatus(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (watchlist.Status, error) {
	var st watchlist.Status
	var issued, updated string
	var version int64
	err := q.QueryRowContext(ctx, `SELECT version, issued_at, updated_at, entries, key_id FROM watchlist_meta WHERE id = 1`).
		Scan(&version, &issued, &updated, &st.Entries, &st.KeyID)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Version = uint64(version)
	st.IssuedAt, _ = time.Parse(timeFmt, issued)
	st.UpdatedAt, _ = time.Parse(timeFmt, updated)
	return st, nil
}

// WatchlistLookup reports whether the document with this reference (as
// gate.DocRef returns it) is on the list, with the list's status.
func (s *Store) WatchlistLookup(ctx context.Context, docRef string) (bool, watchlist.Status, error) {
	ref, err := watchlist.ParseRef(docRef)
	if err != nil {
		return false, watchlist.Status{}, fmt.Errorf("store: watchlist look-up: %w", err)
	}
	st, err := watchlistStatus(ctx, s.db)
	if err != nil {
		return false, st, fmt.Errorf("store: watchlist look-up: %w", err)
	}
	var hit bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM watchlist WHERE ref = ?)`, ref[:]).Scan(&hit); err != nil {
		return false, st, fmt.Errorf("store: watchlist look-up: %w", err)
	}
	return hit, st, nil
}

// LoadOptions tune LoadWatchlist.
type LoadOptions struct {
	// AllowOlder replaces the list with one of a lower version (a
	// deliberate rollback); otherwise that is refused with ErrOlder.
	AllowOlder bool
	// Origin names who loaded the list, for the audit entry.
	Origin string
	// Now stamps the load; zero means the wall clock.
	Now time.Time
}

// LoadResult says what a load did.
type LoadResult struct {
	Previous watchlist.Status
	Status   watchlist.Status
	Lines    int64 // entries read, duplicates included
}

// LoadWatchlist replaces the whole list with the entries rd yields. The new
// list takes the file's version and issue time; deltas continue from that
// version. On any error the old list stays in place.
func (s *Store) LoadWatchlist(ctx context.Context, rd *watchlist.Reader, o LoadOptions) (LoadResult, error) {
	var res LoadResult
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	hdr := rd.Header()
	if rd.KeyID() == "" {
		return res, errors.New("store: watchlist load needs the lane key")
	}
	prev, err := s.WatchlistStatus(ctx)
	if err != nil {
		return res, err
	}
	res.Previous = prev
	if hdr.Version < prev.Version && !o.AllowOlder {
		return res, fmt.Errorf("%w: file version %d, loaded version %d", watchlist.ErrOlder, hdr.Version, prev.Version)
	}
	fail := func(err error) (LoadResult, error) {
		_, _ = s.db.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS watchlist_next`)
		return res, fmt.Errorf("store: watchlist load: %w", err)
	}
	// Read, check and sort the whole list before touching the database:
	// a bad line anywhere fails the load with nothing written, and keys
	// written in order only ever append to the B-tree, so each chunk writes
	// little more than its own rows.
	refs := make([]watchlist.Ref, 0, 1024)
	for {
		ref, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, fmt.Errorf("store: watchlist load: %w", err)
		}
		refs = append(refs, ref)
	}
	res.Lines = int64(len(refs))
	slices.SortFunc(refs, func(a, b watchlist.Ref) int { return bytes.Compare(a[:], b[:]) })
	refs = slices.Compact(refs)

	if _, err := s.db.ExecContext(ctx, `DROP TABLE IF EXISTS watchlist_next`); err != nil {
		return fail(err)
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE watchlist_next (ref BLOB PRIMARY KEY) WITHOUT ROWID`); err != nil {
		return fail(err)
	}
	var inserted int64
	for chunk := range slices.Chunk(refs, loadChunk) {
		n, err := s.insertRefs(ctx, "watchlist_next", chunk)
		if err != nil {
			return fail(err)
		}
		inserted += n
	}
	refs = nil

	st := watchlist.Status{Version: hdr.Version, IssuedAt: hdr.IssuedAt, UpdatedAt: o.Now, Entries: inserted, KeyID: rd.KeyID()}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := watchlistStatus(ctx, tx)
		if err != nil {
			return err
		}
		if hdr.Version < cur.Version && !o.AllowOlder {
			// A delta arrived during the load.
			return fmt.Errorf("%w: file version %d, loaded version %d", watchlist.ErrOlder, hdr.Version, cur.Version)
		}
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM watchlist_next`).Scan(&n); err != nil {
			return err
		}
		if n != inserted {
			return fmt.Errorf("staging table changed under the load (%d rows, %d written): another load running?", n, inserted)
		}
		for _, q := range []string{
			`DROP TABLE IF EXISTS watchlist_old`,
			`ALTER TABLE watchlist RENAME TO watchlist_old`,
			`ALTER TABLE watchlist_next RENAME TO watchlist`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if err := putMeta(ctx, tx, st); err != nil {
			return err
		}
		_, err = appendAudit(ctx, tx, o.Now, "", "watchlist", 0, auditJSON(map[string]any{
			"op": "load", "origin": o.Origin, "version": st.Version, "issued": st.IssuedAt.UTC().Format(time.RFC3339),
			"entries": st.Entries, "key_id": st.KeyID, "previous_version": cur.Version, "previous_entries": cur.Entries,
		}))
		return err
	})
	if err != nil {
		return fail(err)
	}
	// Freeing the old list's pages can wait; a failure here leaves a table
	// the next load drops.
	_, _ = s.db.ExecContext(ctx, `DROP TABLE IF EXISTS watchlist_old`)
	res.Status = st
	return res, nil
}

// ApplyDelta applies a delta in order and idempotently (see
// watchlist.Applier): a delta whose version is not above the list's is
// ignored; one that skips a version fails with watchlist.ErrGap; one made
// with another key fails with watchlist.ErrKeyMismatch. A list can be
// built from nothing by deltas starting at version 1.
func (s *Store) ApplyDelta(ctx context.Context, d watchlist.Delta) error {
	if err := d.Validate(); err != nil {
		return err
	}
	now := time.Now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := watchlistStatus(ctx, tx)
		if err != nil {
			return err
		}
		if cur.KeyID != "" && cur.KeyID != d.KeyID {
			return fmt.Errorf("%w: delta made with key %s, list with %s", watchlist.ErrKeyMismatch, d.KeyID, cur.KeyID)
		}
		if d.Version <= cur.Version {
			return nil // already applied
		}
		if d.Version != cur.Version+1 {
			return fmt.Errorf("%w: list at version %d, delta is version %d", watchlist.ErrGap, cur.Version, d.Version)
		}
		var removed int64
		for _, r := range d.Remove {
			n, err := execN(ctx, tx, `DELETE FROM watchlist WHERE ref = ?`, r[:])
			if err != nil {
				return err
			}
			removed += n
		}
		added, err := insertRefsTx(ctx, tx, "watchlist", d.Add)
		if err != nil {
			return err
		}
		st := watchlist.Status{Version: d.Version, IssuedAt: d.IssuedAt, UpdatedAt: now,
			Entries: cur.Entries + added - removed, KeyID: d.KeyID}
		if cur.IssuedAt.After(st.IssuedAt) {
			st.IssuedAt = cur.IssuedAt // freshness never goes backwards
		}
		if err := putMeta(ctx, tx, st); err != nil {
			return err
		}
		_, err = appendAudit(ctx, tx, now, "", "watchlist", 0, auditJSON(map[string]any{
			"op": "delta", "version": d.Version, "issued": d.IssuedAt.UTC().Format(time.RFC3339),
			"added": added, "removed": removed, "entries": st.Entries, "key_id": d.KeyID,
		}))
		return err
	})
	if err != nil {
		if errors.Is(err, watchlist.ErrGap) || errors.Is(err, watchlist.ErrKeyMismatch) {
			return err
		}
		return fmt.Errorf("store: watchlist delta: %w", err)
	}
	return nil
}

func putMeta(ctx context.Context, tx *sql.Tx, st watchlist.Status) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO watchlist_meta (id, version, issued_at, updated_at, entries, key_id)
		VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version,
		issued_at = excluded.issued_at, updated_at = excluded.updated_at, entries = excluded.entries, key_id = excluded.key_id`,
		int64(st.Version), st.IssuedAt.UTC().Format(timeFmt), st.UpdatedAt.UTC().Format(timeFmt), st.Entries, st.KeyID)
	return err
}

// insertRefs writes refs into table in one transaction; it returns how
// many were new.
func (s *Store) insertRefs(ctx context.Context, table string, refs []watchlist.Ref) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = insertRefsTx(ctx, tx, table, refs)
		return err
	})
	return n, err
}

func insertRefsTx(ctx context.Context, tx *sql.Tx, table string, refs []watchlist.Ref) (int64, error) {
	var total int64
	var stmt *sql.Stmt
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	args := make([]any, 0, insertBatch)
	for len(refs) > 0 {
		n := min(len(refs), insertBatch)
		q := `INSERT OR IGNORE INTO ` + table + ` (ref) VALUES (?)` + strings.Repeat(`,(?)`, n-1)
		args = args[:0]
		for i := range refs[:n] {
			args = append(args, refs[i][:])
		}
		var res sql.Result
		var err error
		if n == insertBatch {
			if stmt == nil {
				if stmt, err = tx.PrepareContext(ctx, q); err != nil {
					return total, err
				}
			}
			res, err = stmt.ExecContext(ctx, args...)
		} else {
			res, err = tx.ExecContext(ctx, q, args...)
		}
		if err != nil {
			return total, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += k
		refs = refs[n:]
	}
	return total, nil
}

func auditJSON(v map[string]any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of plain values always encode
	}
	return string(b)
}

// DeltaFeed takes deltas as the MQTT link delivers them (the JSON object
// of a watchlist_delta command), parses them with the lane key and applies
// them. It implements mqtt.WatchlistApplier; wire it as
//
//	mqtt.Opts{Watchlist: store.DeltaFeed{Store: st, Key: key}}
type DeltaFeed struct {
	Store *Store
	Key   []byte
}

// ApplyWatchlistDelta parses and applies one delta. The detail and errors
// carry versions and counts only, never an entry.
func (f DeltaFeed) ApplyWatchlistDelta(ctx context.Context, delta []byte) (string, error) {
	d, err := watchlist.ParseDelta(delta, f.Key)
	if err != nil {
		return "", err
	}
	before, err := f.Store.WatchlistStatus(ctx)
	if err != nil {
		return "", err
	}
	if err := f.Store.ApplyDelta(ctx, d); err != nil {
		return "", err
	}
	after, err := f.Store.WatchlistStatus(ctx)
	if err != nil {
		return "", err
	}
	if after.Version == before.Version {
		return fmt.Sprintf("version %d already applied (list at version %d)", d.Version, after.Version), nil
	}
	return fmt.Sprintf("applied version %d: %d entries", after.Version, after.Entries), nil
}
