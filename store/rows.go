package store

import (
	"context"
	"fmt"

	"go.mau.fi/util/dbutil"
)

// Each type read from more than one query has one Scan (dbutil.DataStruct), and these two read
// rows with it, as mautrix's QueryHelper does, instead of a row loop per query.

// queryOne reads the row a query selects, or ErrNotFound.
func queryOne[T interface {
	comparable
	dbutil.DataStruct[T]
}](ctx context.Context, db *dbutil.Database, what, query string, args ...any) (T, error) {
	v, err := dbutil.MakeQueryHelper[T](db, nil).QueryOne(ctx, query, args...)
	var none T
	switch {
	case err != nil:
		return none, fmt.Errorf("store: %s: %w", what, err)
	case v == none:
		return none, fmt.Errorf("store: %s: %w", what, ErrNotFound)
	}
	return v, nil
}

// queryMany reads every row a query selects, in its order.
func queryMany[T dbutil.DataStruct[T]](ctx context.Context, db *dbutil.Database, query string, args ...any) ([]T, error) {
	return dbutil.MakeQueryHelper[T](db, nil).QueryMany(ctx, query, args...)
}
