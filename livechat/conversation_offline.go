package livechat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// A support chat no operator takes within Options.AcceptWait, or one a
// citizen would open while no operator is on the console, becomes an
// offline question: the citizen leaves the question and a contact, gets a
// tracking code, and the question enters the moderation queue like any
// other (source chat_conversation, status pending).

// OfflineQuestion is what a citizen leaves when no operator answers.
type OfflineQuestion struct {
	Question string
	Name     string
	Contact  string // phone or e-mail, optional; personal data
	Consent  bool   // required when a name or contact is given (SPEC §4)
	Language string
	// CaseCode is the tracking code of an earlier case this continues.
	CaseCode string

	ConversationID int64 // the waiting conversation it replaces; 0: none
	CitizenID      *int64
	IP             string
}

// Validate trims and checks the fields.
func (n *OfflineQuestion) Validate() error {
	var err error
	if n.Question, err = validBody(n.Question, 2000); err != nil {
		return err
	}
	n.Name, n.Contact = strings.TrimSpace(n.Name), strings.TrimSpace(n.Contact)
	if !utf8.ValidString(n.Name) || !utf8.ValidString(n.Contact) {
		return apperr.Invalidf("invalid_utf8", "text is not valid UTF-8")
	}
	if utf8.RuneCountInString(n.Name) > 80 {
		return apperr.Invalidf("name_too_long", "a name may be at most 80 characters")
	}
	if utf8.RuneCountInString(n.Contact) > 120 {
		return apperr.Invalidf("contact_too_long", "a contact may be at most 120 characters")
	}
	if (n.Name != "" || n.Contact != "") && !n.Consent {
		return apperr.Invalidf("consent_required", "agree to how your name and contact are kept, or leave them out")
	}
	if err := checkCaseCode(&n.CaseCode); err != nil {
		return err
	}
	if n.Language == "" {
		n.Language = "vi"
	}
	return nil
}

// LeaveOfflineQuestion stores the question (as the citizen's waiting
// conversation turned offline, or a new offline conversation) and its
// moderation item in one transaction, and returns the tracking code.
func (s *Service) LeaveOfflineQuestion(ctx context.Context, n OfflineQuestion) (string, error) {
	if err := n.Validate(); err != nil {
		return "", err
	}
	var consentAt *time.Time
	if n.Consent {
		now := time.Now()
		consentAt = &now
	}
	code := moderation.NewTrackingCode()
	var id int64
	// A contact left here (with consent) is where the answer goes: the
	// citizen is told of it, as a forum asker is; so is the phone given
	// (with consent and the choice to be told) when the chat opened.
	tell := false
	err := db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		if n.ConversationID != 0 {
			// Only a conversation still waiting turns offline: one an
			// operator took meanwhile goes on as a chat.
			// The code given when the chat opened holds unless another is given now.
			err := tx.QueryRow(ctx, `
				UPDATE chat_conversations SET status = 'offline', name = CASE WHEN $2 <> '' THEN $2 ELSE name END,
					contact = CASE WHEN $3 <> '' THEN $3 ELSE contact END, consent_at = coalesce($4, consent_at), transcript = $5, tracking_code = $6,
					closed_at = now(), closed_by = 'offline', case_code = CASE WHEN $7 <> '' THEN $7 ELSE case_code END
				WHERE id = $1 AND status = 'waiting' RETURNING id, case_code, contact, notify`,
				n.ConversationID, n.Name, n.Contact, consentAt, n.Question, code, n.CaseCode).Scan(&id, &n.CaseCode, &n.Contact, &tell)
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.Conflictf("not_waiting", "an officer has taken this conversation; answer in the chat")
			}
			if err != nil {
				return err
			}
		} else {
			if err := tx.QueryRow(ctx, `
				INSERT INTO chat_conversations (token_hash, citizen_id, name, topic, language, ip, status, contact,
					consent_at, transcript, tracking_code, closed_at, closed_by, case_code)
				VALUES ($1, $2, $3, $4, $5, $6, 'offline', $7, $8, $9, $10, now(), 'offline', $11) RETURNING id`,
				hashToken(newToken()), n.CitizenID, n.Name, clip(n.Question, 200), n.Language, n.IP, n.Contact,
				consentAt, n.Question, code, n.CaseCode).Scan(&id); err != nil {
				return err
			}
			// The room takes a follow-up answer from the queue.
			if err := createRoom(ctx, tx, ConvRoom(id)); err != nil {
				return err
			}
		}
		it, err := s.queue.Enqueue(ctx, tx, moderation.NewItem{
			Source: moderation.SourceChatConversation, Ref: strconv.FormatInt(id, 10), TrackingCode: code,
			Title: clip(n.Question, 120), Content: n.Question, Kind: moderation.KindQuestion, CitizenID: n.CitizenID,
			Contact: n.Contact, CaseCode: n.CaseCode, Language: n.Language, URL: fmt.Sprintf("/chat/%d", id),
			Meta: map[string]any{"conversation_id": id, "offline": true, "name": n.Name, "consent": n.Consent,
				moderation.MetaNotify: tell || n.Consent && n.Contact != ""},
		})
		if err != nil {
			return err
		}
		if it.TrackingCode != code { // the queue picked a fresh code after a collision
			code = it.TrackingCode
			_, err = tx.Exec(ctx, `UPDATE chat_conversations SET tracking_code = $2 WHERE id = $1`, id, code)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	if n.ConversationID != 0 {
		s.publishQueue(ctx) // it left the waiting list
	}
	return code, nil
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// OperatorsOnline is how many chat operators have the console open.
func (s *Service) OperatorsOnline(ctx context.Context) int { return s.hub.Online(ctx, RoomQueue) }

// expired reports whether waiting conversation c has waited past the
// accept wait, so its citizen is offered the offline form.
func (s *Service) expired(c Conversation) bool {
	return c.Status == ConvWaiting && time.Since(c.CreatedAt) >= s.opts.AcceptWait
}

// RunAcceptWatch runs until ctx ends (one of the node's background jobs):
// it tells each citizen whose conversation no operator took
// within AcceptWait, once (the row remembers it, so one node of many does
// it), that they may leave an offline question instead.
func (s *Service) RunAcceptWatch(ctx context.Context) {
	every := s.opts.AcceptWait / 4
	every = min(max(every, 200*time.Millisecond), 10*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.hub.ctx.Done():
			return
		case <-t.C:
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		rows, err := s.store.pool.Query(qctx, `
			UPDATE chat_conversations SET offline_offered_at = now()
			WHERE status = 'waiting' AND offline_offered_at IS NULL AND created_at <= now() - make_interval(secs => $1)
			RETURNING id`, s.opts.AcceptWait.Seconds())
		var ids []int64
		if err == nil {
			ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
		cancel()
		if err != nil {
			if ctx.Err() == nil && s.hub.ctx.Err() == nil {
				s.log.Warn("livechat: accept-wait check", "err", err)
			}
			continue
		}
		for _, id := range ids {
			s.hub.Event(ConvRoom(id), mustJSON(event{Type: frameOffline, Room: ConvRoom(id)}))
		}
	}
}

// DutyHours renders the operators' duty hours ("07:30–11:30, 13:00–17:00").
func (s *Service) DutyHours() string {
	hours := s.opts.DutyHours
	if len(hours) == 0 {
		hours = moderation.DefaultHours
	}
	clock := func(d time.Duration) string {
		return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
	}
	parts := make([]string, len(hours))
	for i, p := range hours {
		parts[i] = clock(p.Start) + "–" + clock(p.End)
	}
	return strings.Join(parts, ", ")
}
