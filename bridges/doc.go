// Package bridges carries cards to people away from Element — Signal through signal-cli, RCS
// through Twilio and Google RBM — through a durable outbox (outbox.go: written before sent,
// retried with back-off and jitter, dead-lettered with a reason, resumed after a crash), and
// brings their signed replies back.
//
// Couriers are untrusted: they only ever see sealed blobs, and what they bring back counts only
// when it carries a valid signature by an enrolled device key.
package bridges
