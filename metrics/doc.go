// Package metrics keeps seedgate's Prometheus counters, gauges and histograms and serves them in
// the text exposition format, with live and ready endpoints, on a listener of their own.
//
// It is deliberately small: a few labelled series, no client library. The official one
// (client_golang) was measured at +4.5 MB of binary and nine more modules for what is here a
// hundred lines; the price is escaping by hand, which TestLabelValuesAreEscapedForPrometheus
// holds to the text format.
package metrics
