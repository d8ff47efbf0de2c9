package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
	"github.com/seedgate/seedgate/store"
)

// takeLease makes this seedgate the database's active one before it touches Matrix, a torrent
// client or the audit chain. With another active: refuse, naming it, or with database.standby
// wait until its lease lapses. It returns the error to stop with.
func takeLease(ctx context.Context, st *store.Store, db config.Database) error {
	log := zerolog.Ctx(ctx)
	me := store.ThisProcess(time.Now())
	ttl := db.LeaseTTL.D()
	told := false
	for {
		holder, err := st.TakeLease(ctx, me, ttl)
		switch {
		case err == nil:
			log.Info().Dur("lease_ttl", ttl).Msg("Took the database's lease: this seedgate is the active one")
			return nil
		case !errors.Is(err, store.ErrLeaseHeld):
			return err
		case !db.Standby:
			return fmt.Errorf("%w (%s; its lease runs to %s): stop it first, or set database.standby: true to wait as its standby",
				err, holder, holder.Expires.UTC().Format(time.RFC3339))
		case !told:
			log.Warn().Str("active", holder.String()).Msg("Another seedgate is active on this database; standing by to take over when its lease lapses")
			told = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(ttl/3, time.Second)): // asking costs little; a quick takeover matters
		}
	}
}

// keepLease renews the lease every third of its time until ctx ends. When the lease is lost,
// or cannot be renewed for two thirds of it (the database unreachable: this seedgate can no
// longer know it is the active one), it stops everything through stop with store.ErrLeaseLost
// before a standby may take over.
func keepLease(ctx context.Context, st *store.Store, ttl time.Duration, stop context.CancelCauseFunc) {
	log := zerolog.Ctx(ctx)
	ticker := time.NewTicker(ttl / 3)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		// Resumed after a freeze past the lease, CheckLease fails at once: stop before anything
		// else runs on, without waiting for the database to say so.
		err := st.CheckLease()
		if err == nil {
			renewCtx, cancel := context.WithTimeout(ctx, ttl/3)
			err = st.RenewLease(renewCtx, ttl)
			cancel()
			switch {
			case err == nil:
				continue
			case ctx.Err() != nil:
				return
			case errors.Is(err, store.ErrLeaseLost):
			case st.SinceLeaseRenewal() < ttl*2/3:
				log.Warn().Err(err).Msg("Renewing the database's lease failed; retrying")
				continue
			default:
				err = fmt.Errorf("%w: not renewed for %s: %w", store.ErrLeaseLost, st.SinceLeaseRenewal().Round(time.Millisecond), err)
			}
		}
		log.Error().Err(err).Msg("Lost the database's lease; stopping without writing anything more")
		stop(err)
		return
	}
}
