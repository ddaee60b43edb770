package callcenter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/contact"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// CaseStatus is what a caller hears about a tracking code typed on the
// phone (ivr_status.go).
type CaseStatus struct {
	Code     string // the code as looked up (normalized): the case a message continues
	Status   string // the moderation status; a merged item's is that of the item it was merged into
	InReview bool   // a moderator holds it
	DueAt    time.Time
	Category string // to file a message about the case under a topic of the menu
	// AnswerAudioPath is the moderator's spoken answer (relative to
	// DATA_DIR), "" when none was recorded.
	AnswerAudioPath string
	// Callback is the state of the callback task with the answer: open,
	// done, or "" when there is none.
	Callback string
}

// Answered reports whether the caller is to hear the answer (or that it
// will be phoned to them).
func (s CaseStatus) Answered() bool {
	return s.Status == moderation.StatusAnswered || s.Status == moderation.StatusClosed
}

// CaseStatus implements callStore: the item of code, looked up through
// moderation's tracking budgets on behalf of who (the caller's number),
// so the phone is no faster a way to sweep codes than the web. A code
// that fails CheckCode is Invalid and costs nothing; an unknown one is
// NotFound and counts as a miss.
func (s *Store) CaseStatus(ctx context.Context, who, code string) (_ CaseStatus, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.CaseStatus")
	it, err := s.mod.Track(ctx, who, code)
	if err != nil {
		return CaseStatus{}, err
	}
	out := CaseStatus{Code: it.TrackingCode, Category: it.Category}
	for hops := 0; it.Status == moderation.StatusMerged && it.MergedInto != nil && hops < 5; hops++ {
		if it, err = s.mod.Store.FindItemByID(ctx, *it.MergedInto); err != nil {
			return CaseStatus{}, fmt.Errorf("callcenter.CaseStatus: merged target: %w", err)
		}
	}
	out.Status, out.DueAt, out.InReview = it.Status, it.DueAt, it.AssigneeID != nil
	if it.Source != moderation.SourceHotlineTicket {
		return out, nil
	}
	var cb *string
	err = s.pool.QueryRow(ctx, `
		SELECT t.answer_audio_path,
			(SELECT c.status FROM hotline_callbacks c WHERE c.ticket_id = t.id ORDER BY (c.status = 'open') DESC, c.id DESC LIMIT 1)
		FROM hotline_tickets t WHERE t.item_id = $1`, it.ID).Scan(&out.AnswerAudioPath, &cb)
	if errors.Is(err, pgx.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return CaseStatus{}, fmt.Errorf("callcenter.CaseStatus: %w", err)
	}
	if cb != nil {
		out.Callback = *cb
	}
	return out, nil
}

// errCaseNotFound is what MemoryStore answers for every code.
var errCaseNotFound = apperr.NotFoundf("no such tracking code")

// replyByPhone: a message left about a case whose moderator asked for more
// information is the citizen's reply (moderation.CitizenReply): the item
// goes back to the queue with its assignee, its content noting the new
// ticket that holds the recording. Any other state needs nothing; an
// error here leaves the new ticket as it is (it is already in the case).
func (s *Store) replyByPhone(ctx context.Context, t NewTicket, number string) {
	if t.CaseCode == "" {
		return
	}
	it, err := s.mod.Store.FindItemByTrackingCode(ctx, t.CaseCode)
	if err != nil || it.Status != moderation.StatusInfoRequested {
		return
	}
	who := "sip-addr:" + t.Hotline
	if p, err := contact.Phone(t.Caller); err == nil {
		who = "sip:" + p
	}
	text := fmt.Sprintf("Người gọi đã để lại lời nhắn qua đường dây nóng, phiếu %s. / The caller left a message by phone, ticket %s.", number, number)
	if _, err := s.mod.CitizenReply(ctx, who, t.CaseCode, text); err != nil {
		s.mod.Log.WarnContext(ctx, "hotline: the phone message could not answer the request for information", "case", it.ID, "err", err)
	}
}
