package moderation

// Department is a route target.
type Department struct {
	Slug              string `json:"slug"`
	Name              string `json:"name"`
	HandlesComplaints bool   `json:"handles_complaints"`
	// Email, when set, is told of the department's escalated items and
	// late directives (staff_notify.go).
	Email string `json:"email,omitempty"`
}
