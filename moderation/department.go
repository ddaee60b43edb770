package moderation

// Department is a route target.
type Department struct {
	Slug              string `json:"slug"`
	Name              string `json:"name"`
	HandlesComplaints bool   `json:"handles_complaints"`
}
