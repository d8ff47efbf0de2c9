// Package store owns seedgate's database: opening it, upgrading its schema from embedded
// migrations before anything is served, and the typed reads and writes the other packages need.
//
// SQLite (through the pure-Go modernc.org/sqlite driver) is the default backend; PostgreSQL
// (through pgx) is the second, for teams that run one. The same migrations serve both. The same
// database also holds mautrix's crypto and state stores, each under its own version table.
//
// It is not for policy: it stores requests, votes and audit entries as it is told and enforces
// only what must be atomic in the database (compare-and-set state transitions, single use).
package store
