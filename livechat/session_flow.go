package livechat

import (
	"context"
	"fmt"
	"strconv"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// ScheduleSession creates a session (admins only).
func (s *Service) ScheduleSession(ctx context.Context, admin *identity.User, n NewSession) (Session, error) {
	if !admin.HasRole(identity.RoleAdmin) {
		return Session{}, apperr.Forbiddenf("only admins schedule live sessions")
	}
	if err := n.Validate(); err != nil {
		return Session{}, err
	}
	// Scheduling is an admin action: in the admin audit log, in the same
	// transaction as the session.
	return s.store.createSession(ctx, n, admin.ID, func(ctx context.Context, tx pgx.Tx, id int64) error {
		return moderation.AdminAudit(ctx, tx, admin, "live_session.schedule", fmt.Sprintf("live_session:%d", id), nil, n)
	})
}

// SubmitQuestion stores a citizen's question and puts it in the moderation
// queue in the same transaction. Questions are taken until the session ends.
func (s *Service) SubmitQuestion(ctx context.Context, sessionID int64, n NewQuestion) (Question, error) {
	if err := n.Validate(); err != nil {
		return Question{}, err
	}
	var qid int64
	err := db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		ss, err := findSession(ctx, tx, sessionID)
		if err != nil {
			return err
		}
		if ss.Ended() {
			return apperr.Conflictf("session_ended", "this session has ended; its questions and answers are an archive now")
		}
		code := moderation.NewTrackingCode()
		if qid, err = insertQuestion(ctx, tx, sessionID, n, code); err != nil {
			return err
		}
		it, err := s.queue.Enqueue(ctx, tx, moderation.NewItem{
			Source: moderation.SourceLiveQuestion, Ref: strconv.FormatInt(qid, 10), TrackingCode: code,
			Title: ss.Title, Content: n.Body, CitizenID: n.CitizenID, Contact: n.Phone, Phone: n.Phone,
			// A phone is given (with consent) for the answer to reach the asker.
			Meta: map[string]any{"session_id": sessionID, "name": n.Name, moderation.MetaNotify: n.Phone != ""}, URL: ss.URL,
		})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE live_questions SET item_id = $2, tracking_code = $3 WHERE id = $1`, qid, it.ID, it.TrackingCode)
		return err
	})
	if err != nil {
		return Question{}, err
	}
	return findQuestion(ctx, s.store.pool, qid, "")
}

// ModerateQuestion approves or rejects a question from the session desk.
// It goes through the moderation queue (claim, then act), so the decision
// is audited like any other and comes back through the handler.
func (s *Service) ModerateQuestion(ctx context.Context, actor *identity.User, sessionID, qid int64, action, reason string) error {
	if !actor.IsStaff() {
		return apperr.Forbiddenf("only moderators decide on questions")
	}
	q, err := findQuestion(ctx, s.store.pool, qid, "")
	if err != nil {
		return err
	}
	if q.SessionID != sessionID {
		return apperr.NotFoundf("no such question in this session")
	}
	if q.ItemID == nil {
		return db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
			return s.applyQuestionDecision(ctx, tx, qid, action, reason, actor.ID)
		})
	}
	if _, err := s.queue.Act(ctx, actor, *q.ItemID, moderation.ActionClaim, moderation.ActionInput{}); err != nil {
		return err
	}
	_, err = s.queue.Act(ctx, actor, *q.ItemID, action, moderation.ActionInput{Reason: reason})
	return err
}

// applyQuestionDecision carries a moderation decision to a question,
// inside the moderation transaction tx. The question's message is
// published once tx commits.
func (s *Service) applyQuestionDecision(ctx context.Context, tx pgx.Tx, qid int64, action, body string, actorID int64) error {
	q, err := findQuestion(ctx, tx, qid, "FOR UPDATE")
	if err != nil {
		return err
	}
	switch action {
	case moderation.ActionApprove:
		if q.Status != QuestionPending {
			return nil
		}
		var pos int
		if err := tx.QueryRow(ctx, `
			UPDATE live_questions SET status = 'approved', approved_at = now(),
				position = (SELECT coalesce(max(position), 0) + 1 FROM live_questions WHERE session_id = $2 AND status IN ('approved', 'answered'))
			WHERE id = $1 RETURNING position`, qid, q.SessionID).Scan(&pos); err != nil {
			return err
		}
		data := map[string]any{"question_id": qid, "position": pos}
		if q.RecordingURL != "" {
			data["via"] = "phone" // the recording itself stays with the staff
		}
		m, err := appendMessage(ctx, tx, newMessage{Room: LiveRoom(q.SessionID), Kind: KindQuestion, Body: q.Body,
			Author: q.Name, AuthorRole: "citizen", Sender: "system", Data: data})
		if err != nil {
			return err
		}
		s.publishWhenVisible(m)
	case moderation.ActionReject:
		if q.Status != QuestionPending {
			return nil
		}
		_, err := tx.Exec(ctx, `UPDATE live_questions SET status = 'rejected', reason = $2 WHERE id = $1`, qid, body)
		return err
	case moderation.ActionAnswer:
		var name string
		if err := tx.QueryRow(ctx, `SELECT coalesce(nullif(display_name, ''), login) FROM users WHERE id = $1`, actorID).Scan(&name); err != nil {
			return err
		}
		m, _, err := storeAnswer(ctx, tx, q, actorID, name, "moderator", body)
		if err != nil {
			return err
		}
		s.publishWhenVisible(m)
	}
	return nil
}

// storeAnswer keeps an answer and its message inside tx; a pending
// question answered directly becomes public with it.
func storeAnswer(ctx context.Context, tx pgx.Tx, q Question, authorID int64, author, role, body string) (Message, int64, error) {
	var aid int64
	if err := tx.QueryRow(ctx, `
		INSERT INTO live_answers (session_id, question_id, leader_id, leader_name, body)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, q.SessionID, q.ID, authorID, author, body).Scan(&aid); err != nil {
		return Message{}, 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE live_questions SET status = 'answered', approved_at = coalesce(approved_at, now()) WHERE id = $1`, q.ID); err != nil {
		return Message{}, 0, err
	}
	m, err := appendMessage(ctx, tx, newMessage{Room: LiveRoom(q.SessionID), Kind: KindAnswer, Body: body,
		Author: author, AuthorRole: role, AuthorID: &authorID, Sender: fmt.Sprintf("u:%d", authorID),
		Data: map[string]any{"question_id": q.ID, "question": q.Body, "asker": q.Name}})
	return m, aid, err
}

// AnswerQuestion stores a leader's answer and broadcasts it to every viewer
// of the session. Only the session's leaders (and admins) answer, only
// approved questions, only until the session ends.
func (s *Service) AnswerQuestion(ctx context.Context, leader *identity.User, sessionID, qid int64, body string) (Answer, Message, error) {
	body, err := validBody(body, 10000)
	if err != nil {
		return Answer{}, Message{}, err
	}
	var m Message
	var aid int64
	err = db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		ss, err := findSession(ctx, tx, sessionID)
		if err != nil {
			return err
		}
		if !ss.HasLeader(leader.ID) && !leader.HasRole(identity.RoleAdmin) {
			return apperr.Forbiddenf("only this session's leaders answer in it")
		}
		if ss.Ended() {
			return apperr.Conflictf("session_ended", "this session has ended")
		}
		q, err := findQuestion(ctx, tx, qid, "FOR UPDATE")
		if err != nil || q.SessionID != sessionID {
			return apperr.NotFoundf("no such question in this session")
		}
		if !q.Public() {
			return apperr.Conflictf("not_approved", "only approved questions are answered")
		}
		if m, aid, err = storeAnswer(ctx, tx, q, leader.ID, leader.Name(), "leader", body); err != nil {
			return err
		}
		// The queue item follows: answered on the air is answered.
		return s.queue.AnsweredInChannel(ctx, tx, moderation.SourceLiveQuestion, strconv.FormatInt(q.ID, 10), leader.ID, body)
	})
	if err != nil {
		return Answer{}, Message{}, err
	}
	s.metrics.stored.Add(1)
	s.hub.Publish(m)
	return Answer{ID: aid, QuestionID: qid, Leader: leader.Name(), Body: body, CreatedAt: m.At}, m, nil
}

// ReorderQuestions sets the running order of a session's public questions
// (staff); ids first, in that order, the rest after.
func (s *Service) ReorderQuestions(ctx context.Context, actor *identity.User, sessionID int64, ids []int64) error {
	if !actor.IsStaff() {
		return apperr.Forbiddenf("only moderators order questions")
	}
	if len(ids) == 0 || len(ids) > 500 {
		return apperr.Invalidf("bad_order", "send the question ids in their new order")
	}
	var m Message
	err := db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		if _, err := findSession(ctx, tx, sessionID); err != nil {
			return err
		}
		// Lock the session's questions so concurrent reorders serialize.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM live_questions WHERE session_id = $1 FOR UPDATE`, sessionID); err != nil {
			return err
		}
		for i, id := range ids {
			tag, err := tx.Exec(ctx, `UPDATE live_questions SET position = $3 WHERE id = $1 AND session_id = $2 AND status IN ('approved', 'answered')`, id, sessionID, i+1)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return apperr.Invalidf("bad_order", "question %d is not an approved question of this session", id)
			}
		}
		rows, err := tx.Query(ctx, `
			WITH o AS (SELECT id, row_number() OVER (ORDER BY (id = ANY($2)) DESC, position, id) AS p
			           FROM live_questions WHERE session_id = $1 AND status IN ('approved', 'answered'))
			UPDATE live_questions q SET position = o.p FROM o WHERE q.id = o.id RETURNING q.id, q.position`, sessionID, ids)
		if err != nil {
			return err
		}
		type pos struct{ ID, Position int64 }
		list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[pos])
		if err != nil {
			return err
		}
		order := make([]int64, len(list))
		for _, p := range list {
			if p.Position >= 1 && int(p.Position) <= len(order) {
				order[p.Position-1] = p.ID
			}
		}
		m, err = appendMessage(ctx, tx, newMessage{Room: LiveRoom(sessionID), Kind: KindOrder, Body: "",
			AuthorRole: "moderator", AuthorID: &actor.ID, Sender: fmt.Sprintf("u:%d", actor.ID), Data: map[string]any{"question_ids": order}})
		return err
	})
	if err != nil {
		return err
	}
	s.hub.Publish(m)
	return nil
}

// EndSession closes a session now (admins and its leaders): it becomes a
// read-only archive.
func (s *Service) EndSession(ctx context.Context, actor *identity.User, sessionID int64) error {
	var m Message
	err := db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		ss, err := findSession(ctx, tx, sessionID)
		if err != nil {
			return err
		}
		if !actor.HasRole(identity.RoleAdmin) && !ss.HasLeader(actor.ID) {
			return apperr.Forbiddenf("only admins and the session's leaders end it")
		}
		if ss.Ended() {
			return apperr.Conflictf("session_ended", "this session has ended already")
		}
		if _, err := tx.Exec(ctx, `UPDATE live_sessions SET ended_at = now() WHERE id = $1`, sessionID); err != nil {
			return err
		}
		m, err = appendMessage(ctx, tx, newMessage{Room: LiveRoom(sessionID), Kind: KindEnded, AuthorRole: "system", Sender: "system"})
		return err
	})
	if err != nil {
		return err
	}
	s.hub.Publish(m)
	return nil
}

// decisionHandler carries moderation decisions back to livechat.
type decisionHandler struct {
	s   *Service
	src moderation.Source
}

// Apply implements moderation.ChannelHandler, inside moderation's transaction.
func (h decisionHandler) Apply(ctx context.Context, tx pgx.Tx, d moderation.Decision) error {
	id, err := strconv.ParseInt(d.Item.Ref, 10, 64)
	if err != nil {
		return fmt.Errorf("livechat: bad ref %q", d.Item.Ref)
	}
	switch h.src {
	case moderation.SourceLiveQuestion:
		return h.s.applyQuestionDecision(ctx, tx, id, d.Action, d.Body, d.ActorID)
	case moderation.SourceChatConversation:
		if d.Action != moderation.ActionAnswer || d.Body == "" {
			return nil
		}
		// A follow-up answer to a closed conversation: the citizen reads it
		// in the conversation (by its cookie) or by its tracking code.
		var name string
		if err := tx.QueryRow(ctx, `SELECT coalesce(nullif(display_name, ''), login) FROM users WHERE id = $1`, d.ActorID).Scan(&name); err != nil {
			return err
		}
		m, err := appendMessage(ctx, tx, newMessage{Room: ConvRoom(id), Kind: KindAnswer, Body: d.Body,
			Author: name, AuthorRole: "operator", AuthorID: &d.ActorID, Sender: fmt.Sprintf("u:%d", d.ActorID)})
		if err != nil {
			return err
		}
		h.s.publishWhenVisible(m)
	}
	return nil
}

// Handlers are livechat's decision handlers by source; New registers them on the queue.
func (s *Service) Handlers() map[moderation.Source]moderation.ChannelHandler {
	return map[moderation.Source]moderation.ChannelHandler{
		moderation.SourceLiveQuestion:     decisionHandler{s, moderation.SourceLiveQuestion},
		moderation.SourceChatConversation: decisionHandler{s, moderation.SourceChatConversation},
	}
}
