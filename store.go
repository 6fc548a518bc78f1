package tandem

// Stores groups the stores the App service runs on; one database usually
// provides them all.
type Stores struct {
	Accounts      Accounts
	Organizations Organizations
	Documents     Documents
	Shares        Shares
	Audit         AuditLog
	Idempotency   IdempotencyKeys
}
