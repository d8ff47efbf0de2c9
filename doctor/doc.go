// Package doctor checks a seedgate deployment part by part — configuration, registration,
// database, key files, homeserver, bot device, approvals room, torrent clients — and says for
// each failure what to fix. It only reads: it never creates rooms, devices or keys.
package doctor
