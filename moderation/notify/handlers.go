package notify

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/auth"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Row is an outbox row as admins see it.
type Row struct {
	ID            int64      `json:"id"`
	ItemID        int64      `json:"item_id"`
	TrackingCode  string     `json:"tracking_code"`
	Event         string     `json:"event"`
	Channel       string     `json:"channel"`
	Recipient     string     `json:"recipient"`
	Language      string     `json:"language"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	Audience      string     `json:"audience"` // citizen or staff
}

// Store reads the outbox.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns the outbox's store.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// List returns rows of status (every status when empty), newest first.
func (s *Store) List(ctx context.Context, status string, limit int) ([]Row, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, item_id, tracking_code, event, channel, recipient, language, status, attempts, last_error, created_at, next_attempt_at, sent_at, audience
		FROM notification_outbox WHERE $1 = '' OR status = $1 ORDER BY id DESC LIMIT $2`, status, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Row, error) {
		var x Row
		err := r.Scan(&x.ID, &x.ItemID, &x.TrackingCode, &x.Event, &x.Channel, &x.Recipient, &x.Language, &x.Status,
			&x.Attempts, &x.LastError, &x.CreatedAt, &x.NextAttemptAt, &x.SentAt, &x.Audience)
		return x, err
	})
}

// Handlers serves the admins' view of the outbox.
type Handlers struct{ store *Store }

// NewHandlers returns the handlers.
func NewHandlers(store *Store) *Handlers { return &Handlers{store: store} }

// Routes registers GET /api/v1/notifications (admins).
func (h *Handlers) Routes(r chi.Router) {
	r.With(auth.RequireRole(identity.RoleAdmin)).Method(http.MethodGet, "/api/v1/notifications", web.Handler(h.handleIndex))
}

// handleIndex serves GET /api/v1/notifications?status=pending|sent|dead&limit=.
func (h *Handlers) handleIndex(w http.ResponseWriter, r *http.Request) error {
	status := r.URL.Query().Get("status")
	switch status {
	case "", "pending", "sent", "dead":
	default:
		return apperr.Invalidf("bad_status", "status must be pending, sent or dead")
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return apperr.Invalidf("bad_limit", "limit must be a number from 1 to 500")
		}
		limit = n
	}
	rows, err := h.store.List(r.Context(), status, limit)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []Row{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"notifications": rows})
	return nil
}

// PurgePersonalData deletes outbox rows created before before (their
// recipient is a phone number or an address, their text may quote the
// answer), except pending ones of items still open, as moderation keeps
// those items' contact.
func (s *Store) PurgePersonalData(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		DELETE FROM notification_outbox o USING moderation_items i
		WHERE i.id = o.item_id AND o.created_at < $1
		  AND (o.status <> 'pending' OR i.status NOT IN ('pending', 'approved', 'info_requested'))`, before)
	return tag.RowsAffected(), err
}
