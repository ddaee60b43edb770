package moderation

import (
	"strings"

	"github.com/doithoai/doithoai/internal/identity"
)

// PublicStatus is the status a citizen sees for an item: the forum's words
// for forum questions (pending → published → answered → closed), plainer
// ones for the other channels.
func PublicStatus(it Item) string {
	switch it.Status {
	case StatusApproved:
		if it.Source == SourceForumQuestion || it.Source == SourceForumReply {
			return "published"
		}
		return "in_progress"
	default:
		return it.Status
	}
}

// ForRole returns the item as viewer may see it: personal data (phone
// numbers, recordings) only for the roles that work with citizens
// directly; leaders see masked contacts.
func ForRole(it Item, viewer *identity.User) Item {
	if viewer.HasRole(identity.RoleModerator, identity.RoleAdmin) {
		return it
	}
	it.Contact = MaskContact(it.Contact)
	it.CitizenPhone, it.CitizenEmail = MaskContact(it.CitizenPhone), MaskContact(it.CitizenEmail)
	it.RecordingURL = ""
	if it.Meta != nil {
		m := make(map[string]any, len(it.Meta))
		for k, v := range it.Meta {
			if k != "recording_url" && k != "recording_path" && k != "caller" {
				m[k] = v
			}
		}
		it.Meta = m
	}
	return it
}

// MaskContact keeps enough of a phone number or e-mail to tell two apart.
func MaskContact(c string) string {
	if c == "" {
		return ""
	}
	if at := strings.IndexByte(c, '@'); at > 0 {
		return c[:1] + "***" + c[at:]
	}
	r := []rune(c)
	if len(r) <= 5 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-6) + string(r[len(r)-3:])
}
