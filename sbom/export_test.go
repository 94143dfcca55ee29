package sbom

// For the document tests, which validate through internal/spdxcheck.
var (
	ELFWith   = elfWith
	AuditJSON = auditJSON
)
