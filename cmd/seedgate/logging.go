package main

import (
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
)

// logTimeFormat keeps milliseconds: one approval takes tens of them, and a log with whole
// seconds cannot show where they went.
const logTimeFormat = "2006-01-02T15:04:05.000Z07:00"

func newLogger(cfg config.Logging) zerolog.Logger {
	zerolog.TimeFieldFormat = logTimeFormat
	level, err := zerolog.ParseLevel(cfg.Level)
	if err != nil {
		level = zerolog.InfoLevel
	}
	var log zerolog.Logger
	if cfg.Format == "pretty" {
		log = zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.TimeOnly})
	} else {
		log = zerolog.New(os.Stderr)
	}
	return log.Level(level).With().Timestamp().Logger()
}
