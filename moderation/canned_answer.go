package moderation

// CannedAnswer is a reusable answer text.
type CannedAnswer struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Language string `json:"language"`
}
