// Package crypto holds seedgate's cryptographic building blocks: random identifiers and match
// codes, secret key files, and (as they land) sealed boxes, signatures, challenge tokens and
// hook authentication.
//
// It does no I/O beyond reading and writing key files, and never puts key material or tokens
// in an error message or a log line.
package crypto
