package moderation

// Directive is a leader's instruction on an item.
type Directive struct {
	ID         int64   `json:"id"`
	ItemID     int64   `json:"item_id"`
	Leader     string  `json:"leader"`
	LeaderName string  `json:"leader_name"` // for pages; Leader is the login
	Note       string  `json:"note"`
	Department string  `json:"department,omitempty"`
	Deadline   *string `json:"deadline,omitempty"`
	Status     string  `json:"status"`
	CreatedAt  string  `json:"created_at"`
}
