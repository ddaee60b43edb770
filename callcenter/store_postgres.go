package callcenter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store keeps the hotline's menu, tickets, callbacks and CDRs in
// PostgreSQL. Tickets enter the moderation queue in the same transaction.
type Store struct {
	pool *pgxpool.Pool
	mod  *moderation.Service
}

// NewStore returns a store on pool that enqueues tickets into mod.
func NewStore(pool *pgxpool.Pool, mod *moderation.Service) *Store {
	return &Store{pool: pool, mod: mod}
}

// Menu returns the saved IVR menu, or DefaultMenu if none was saved.
func (s *Store) Menu(ctx context.Context) (_ Menu, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.Menu")
	var raw []byte
	err = s.pool.QueryRow(ctx, `SELECT menu FROM hotline_menus WHERE id = 1`).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultMenu(), nil
	}
	if err != nil {
		return Menu{}, err
	}
	var m Menu
	if err := json.Unmarshal(raw, &m); err != nil {
		return Menu{}, fmt.Errorf("stored hotline menu: %w", err)
	}
	return m, nil
}

// SaveMenu validates and stores the menu; actorID is the admin.
func (s *Store) SaveMenu(ctx context.Context, m Menu, actorID int64) (err error) {
	defer apperr.Wrap(&err, "callcenter.Store.SaveMenu")
	if err := m.Validate(); err != nil {
		return apperr.Invalidf("invalid_menu", "%s", strings.TrimPrefix(err.Error(), ErrInvalidMenu.Error()+": "))
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO hotline_menus (id, menu, updated_by, updated_at) VALUES (1, $1, $2, now())
		ON CONFLICT (id) DO UPDATE SET menu = excluded.menu, updated_by = excluded.updated_by, updated_at = now()`,
		raw, nullID(actorID))
	return err
}

// Seed stores the default menu unless one exists (for `doithoai seed`).
func Seed(ctx context.Context, tx pgx.Tx) error {
	raw, err := json.Marshal(DefaultMenu())
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO hotline_menus (id, menu) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, raw)
	return err
}

// CreateTicket stores the ticket and enqueues its moderation item in one
// transaction; the ticket number is the item's tracking code.
func (s *Store) CreateTicket(ctx context.Context, t NewTicket) (_ Ticket, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.CreateTicket")
	if t.Agent != "" {
		return s.createCallTicket(ctx, t)
	}
	var out Ticket
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO hotline_tickets (call_id, caller, hotline, language, topic, category, recording_path,
				duration_ms, consent, consent_at, ivr_path, out_of_hours, callback_due, created_at, notify)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
			RETURNING id`,
			t.CallID, t.Caller, t.Hotline, t.Language, t.Topic, t.Category, t.RecordingPath,
			t.Duration.Milliseconds(), t.Consent, t.ConsentAt, t.IVRPath, t.OutOfHours, t.CallbackDue, t.ReceivedAt, t.Notify,
		).Scan(&out.ID)
		if err != nil {
			return err
		}
		it, err := s.mod.Enqueue(ctx, tx, ticketItem(out.ID, t))
		if err != nil {
			return err
		}
		out.Number = it.TrackingCode
		_, err = tx.Exec(ctx, `UPDATE hotline_tickets SET number = $2, item_id = $3 WHERE id = $1`, out.ID, it.TrackingCode, it.ID)
		return err
	})
	if err == nil {
		s.replyByPhone(ctx, t, out.Number)
	}
	return out, err
}

// ticketItem is the moderation snapshot of a ticket. The recording is
// reached through recording_url (staff only); caller and recording_path are
// personal data that moderation masks for other roles.
func ticketItem(id int64, t NewTicket) moderation.NewItem {
	when := t.ReceivedAt.In(i18n.Vietnam).Format("02/01/2006 15:04")
	title := fmt.Sprintf("Cuộc gọi đường dây nóng %s (%s)", when, t.Topic)
	content := fmt.Sprintf("Câu hỏi ghi âm qua đường dây nóng %s, chủ đề %q, ngôn ngữ %s, dài %d giây. Nghe bản ghi âm để tóm tắt và trả lời; câu trả lời sẽ được gọi lại cho người dân.",
		t.Hotline, t.Topic, t.Language, int(t.Duration.Round(time.Second).Seconds()))
	if t.OutOfHours {
		content += " Gọi ngoài giờ làm việc."
	}
	contact, notify := notifyContact(t)
	if notify {
		content += " Người gọi muốn nhận tin nhắn SMS khi có tin."
	}
	n := moderation.NewItem{
		Source:       moderation.SourceHotlineTicket,
		Ref:          strconv.FormatInt(id, 10),
		TrackingCode: moderation.NewNumericCode(),
		Title:        title,
		Content:      content,
		Contact:      contact,
		CaseCode:     t.CaseCode,
		Category:     t.Category,
		Language:     t.Language,
		DueAt:        t.CallbackDue,
		Meta: map[string]any{
			"caller":           t.Caller,
			"hotline":          t.Hotline,
			"topic":            t.Topic,
			"duration_seconds": t.Duration.Seconds(),
			"recording_path":   t.RecordingPath,
			"recording_url":    recordingURL(id),
			"consent":          t.Consent,
			"consent_at":       t.ConsentAt,
			"ivr_path":         t.IVRPath,
			"out_of_hours":     t.OutOfHours,
			"call_id":          t.CallID,
		},
	}
	n.Meta[moderation.MetaNotify] = notify // the outbox texts Contact only then
	return n
}

func recordingURL(id int64) string {
	return "/api/v1/hotline/tickets/" + strconv.FormatInt(id, 10) + "/recording"
}

// SaveCDR stores a call detail record.
func (s *Store) SaveCDR(ctx context.Context, c CDR) (err error) {
	defer apperr.Wrap(&err, "callcenter.Store.SaveCDR")
	_, err = s.pool.Exec(ctx, `
		INSERT INTO hotline_calls (call_id, caller, hotline, transport, started_at, answered_at, ended_at, outcome,
			hangup_cause, language, topic, ivr_path, out_of_hours, agent, queue_wait_ms, ticket_id,
			rtp_received, rtp_lost, rtp_sent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		c.CallID, c.Caller, c.Hotline, c.Transport, c.StartedAt, c.AnsweredAt, c.EndedAt, c.Outcome,
		c.HangupCause, c.Language, c.Topic, c.IVRPath, c.OutOfHours, c.Agent, int64(c.QueueWait*1000), c.TicketID,
		int64(c.RTPReceived), int64(c.RTPLost), int64(c.RTPSent))
	return err
}

// AgentHA1 implements AgentDirectory: moderators and admins made SIP
// agents (`doithoai user create --sip`) who have a SIP secret (`doithoai
// user sip-secret`) and are not disabled. Leaders and citizens never are,
// whatever their row says: an agent's phone shows callers' numbers.
func (s *Store) AgentHA1(ctx context.Context, login string) (_ string, _ bool, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.AgentHA1(%q)", login)
	var ha1 string
	err = s.pool.QueryRow(ctx, `
		SELECT sip_ha1 FROM users
		WHERE lower(login) = lower($1) AND sip_agent AND sip_ha1 IS NOT NULL AND NOT disabled
		  AND role IN ('moderator', 'admin')`, login).Scan(&ha1)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return ha1, err == nil, err
}

// TicketRecord is a stored ticket as staff see it.
type TicketRecord struct {
	ID            int64      `json:"id"`
	Number        string     `json:"number"`
	ItemID        *int64     `json:"item_id"`
	Caller        string     `json:"caller"`
	Language      string     `json:"language"`
	Topic         string     `json:"topic"`
	RecordingPath string     `json:"-"`
	DurationMS    int        `json:"duration_ms"`
	Consent       string     `json:"consent"`
	OutOfHours    bool       `json:"out_of_hours"`
	CallbackDue   *time.Time `json:"callback_due,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// FindTicketByID returns one ticket or an apperr NotFound.
func (s *Store) FindTicketByID(ctx context.Context, id int64) (_ TicketRecord, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.FindTicketByID(%d)", id)
	rows, err := s.pool.Query(ctx, `
		SELECT id, coalesce(number, ''), item_id, caller, language, topic, recording_path, duration_ms,
			consent, out_of_hours, callback_due, created_at
		FROM hotline_tickets WHERE id = $1`, id)
	if err != nil {
		return TicketRecord{}, err
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[TicketRecord])
	if errors.Is(err, pgx.ErrNoRows) {
		return t, apperr.NotFoundf("no such hotline ticket")
	}
	return t, err
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
