// Package metrics keeps seedgate's Prometheus counters, gauges and histograms and serves them in
// the text exposition format, with live and ready endpoints, on a listener of their own.
//
// It is deliberately small: a few labelled series, no client library (the official one brings a
// protobuf dependency for what is here a hundred lines).
package metrics
