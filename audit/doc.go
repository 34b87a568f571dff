// Package audit writes one structured record per request: who asked (issuer,
// subject, client, practitioner, organisation), why, what (interaction,
// resource type), whose data was returned (patient ids) and the outcome,
// as JSON lines to a file (rotated by size) or to standard output. A record
// is written, and for a file synced to disk, before the response is sent;
// the HTTP layer fails the request with 503 when it cannot be written, so
// nothing is disclosed without a record. docs/audit.md describes the format
// and how it maps onto FHIR AuditEvent.
package audit
