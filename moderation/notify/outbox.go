// Package notify tells citizens of their case: a transactional outbox in
// PostgreSQL (Outbox.Record runs inside moderation's transaction), a worker
// on every node that sends due rows through Kannel (SMS) and SMTP (e-mail),
// and the admins' view of what could not be sent.
//
// Texts are rendered when the event is recorded, in the citizen's
// language, so a message tells what was true at the change even if the
// answer is edited later, and the worker needs no catalog.
package notify

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Channels of a notification.
const (
	ChannelSMS   = "sms"
	ChannelEmail = "email"
)

// Outbox implements moderation.Outbox.
type Outbox struct {
	pool    *pgxpool.Pool
	render  *Renderer
	baseURL string
}

// NewOutbox returns the outbox; links point at baseURL (BASE_URL) and
// dates are shown in loc (the SLA's zone; Vietnam when nil).
func NewOutbox(pool *pgxpool.Pool, cat *i18n.Catalog, baseURL string, loc *time.Location) (*Outbox, error) {
	r, err := NewRenderer(cat, loc)
	if err != nil {
		return nil, err
	}
	return &Outbox{pool: pool, render: r, baseURL: strings.TrimRight(baseURL, "/")}, nil
}

var _ moderation.Outbox = (*Outbox)(nil)

// Record writes one row per recipient and channel of the item's citizen,
// inside tx. Nothing is written unless the citizen gave a contact and
// chose to be told (the channel sets moderation.MetaNotify). A second
// record of the same event for the same recipient is a no-op.
func (o *Outbox) Record(ctx context.Context, tx pgx.Tx, ev moderation.OutboxEvent) error {
	it := ev.Item
	if it.Contact == "" || it.TrackingCode == "" || it.Meta[moderation.MetaNotify] != true {
		return nil
	}
	phones, emails := Recipients(it.Contact)
	if len(phones)+len(emails) == 0 {
		return nil
	}
	// A reopened item is answered again: each reopening starts a round of
	// its own, so the new answer is told once too.
	var round int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM moderation_audit WHERE item_id = $1 AND action = 'reopen'`, it.ID).Scan(&round); err != nil {
		return err
	}
	// A language the catalogs lack (a hotline caller's hmn, say) is told
	// in Vietnamese, and the row says so.
	lang := o.render.cat.For(it.Language).Lang
	due := it.DueAt
	if !ev.Due.IsZero() {
		due = ev.Due // the date the event promises (a callback by then)
	}
	c := Content{Event: ev.Event, Code: it.TrackingCode, Due: due, Text: ev.Text, Language: lang,
		Link: o.baseURL + "/tra-cuu?code=" + it.TrackingCode}
	insert := func(channel, to, subject, body, html string) error {
		key := fmt.Sprintf("%s:%d:%d:%s:%s", ev.Event, it.ID, round, channel, to)
		_, err := tx.Exec(ctx, `
			INSERT INTO notification_outbox (item_id, tracking_code, event, round, channel, recipient, language, subject, body, body_html, idempotency_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (idempotency_key) DO NOTHING`,
			it.ID, it.TrackingCode, ev.Event, round, channel, to, lang, subject, body, html, key)
		return err
	}
	for _, p := range phones {
		if err := insert(ChannelSMS, p, "", o.render.SMS(c), ""); err != nil {
			return err
		}
	}
	for _, e := range emails {
		m, err := o.render.Email(c)
		if err != nil {
			return err
		}
		if err := insert(ChannelEmail, e, m.Subject, m.Text, m.HTML); err != nil {
			return err
		}
	}
	return nil
}

var _ moderation.StaffOutbox = (*Outbox)(nil)

// RecordStaff writes one row per staff contact of ev, inside tx, marked
// for staff (never listed on the citizen's tracking page), in Vietnamese
// (accounts carry no language) with a link to the console. The key makes
// each event, item, Key and recipient one row, once.
func (o *Outbox) RecordStaff(ctx context.Context, tx pgx.Tx, ev moderation.StaffEvent) error {
	it := ev.Item
	c := Content{Event: ev.Event, Code: it.TrackingCode, Due: ev.Due, Text: ev.Text, Language: "vi", Staff: true,
		ItemID: it.ID, Title: it.Title, Link: fmt.Sprintf("%s/console/items/%d", o.baseURL, it.ID)}
	insert := func(channel, to, subject, body, html string) error {
		key := fmt.Sprintf("staff:%s:%d:%s:%s:%s", ev.Event, it.ID, ev.Key, channel, to)
		_, err := tx.Exec(ctx, `
			INSERT INTO notification_outbox (item_id, tracking_code, event, channel, recipient, language, subject, body, body_html, idempotency_key, audience)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'staff')
			ON CONFLICT (idempotency_key) DO NOTHING`,
			it.ID, it.TrackingCode, ev.Event, channel, to, c.Language, subject, body, html, key)
		return err
	}
	for _, to := range ev.To {
		var err error
		switch {
		case to.Email != "":
			var m Email
			if m, err = o.render.Email(c); err == nil {
				err = insert(ChannelEmail, to.Email, m.Subject, m.Text, m.HTML)
			}
		case to.Phone != "":
			err = insert(ChannelSMS, to.Phone, "", o.render.SMS(c), "")
		}
		if err != nil {
			return fmt.Errorf("notify.RecordStaff: %w", err)
		}
	}
	return nil
}

// Notices lists an item's notifications once per event (whatever the
// number of channels), oldest first.
func (o *Outbox) Notices(ctx context.Context, itemID int64) ([]moderation.Notice, error) {
	rows, err := o.pool.Query(ctx, `
		SELECT event, min(created_at) FROM notification_outbox WHERE item_id = $1 AND audience = 'citizen'
		GROUP BY event, round ORDER BY 2, 1`, itemID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (moderation.Notice, error) {
		var n moderation.Notice
		err := r.Scan(&n.Event, &n.At)
		return n, err
	})
}

// Recipients splits a contact as the citizen typed it ("0912 345 678",
// "a@b.vn", or both, separated by a comma, semicolon or slash) into phone
// numbers (E.164, +84 for national Vietnamese numbers) and lower-cased
// e-mail addresses. What is neither is ignored.
func Recipients(contact string) (phones, emails []string) {
	seen := map[string]bool{}
	for _, part := range strings.FieldsFunc(contact, func(r rune) bool { return r == ',' || r == ';' || r == '/' || r == '\n' }) {
		part = strings.TrimSpace(part)
		var words []string
		// A phone number may contain spaces; an address may not. Take the
		// addresses out word by word and read the rest as a number.
		for _, w := range strings.Fields(part) {
			if strings.Contains(w, "@") {
				if a, err := mail.ParseAddress(w); err == nil && !seen[strings.ToLower(a.Address)] {
					addr := strings.ToLower(a.Address)
					seen[addr] = true
					emails = append(emails, addr)
				}
				continue
			}
			words = append(words, w)
		}
		if p, ok := NormalizePhone(strings.Join(words, "")); ok && !seen[p] {
			seen[p] = true
			phones = append(phones, p)
		}
	}
	return phones, emails
}

// NormalizePhone returns s in E.164 form when it is a phone number: digits
// with optional separators (space, dot, dash, parentheses), a leading 0
// read as Vietnam's +84.
func NormalizePhone(s string) (string, bool) {
	intl := strings.HasPrefix(s, "+")
	var digits strings.Builder
	for i, r := range s {
		switch {
		case unicode.IsDigit(r) && r < 128:
			digits.WriteRune(r)
		case r == '+' && i == 0, r == '.', r == '-', r == '(', r == ')', r == ' ':
		default:
			return "", false
		}
	}
	d := digits.String()
	switch {
	case intl:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case strings.HasPrefix(d, "0"):
		d = "84" + d[1:]
	}
	if len(d) < 8 || len(d) > 15 {
		return "", false
	}
	return "+" + d, true
}
