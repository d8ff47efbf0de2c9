package main

import (
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/seedgate/seedgate/config"
)

func newLogger(cfg config.Logging) zerolog.Logger {
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
