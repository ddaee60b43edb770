package livechat

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// OpenConversation puts a new conversation in the queue and tells the
// moderators. It returns the conversation, the citizen's token and the
// place in the queue.
func (s *Service) OpenConversation(ctx context.Context, n NewConversation) (Conversation, string, int, error) {
	if err := n.Validate(); err != nil {
		return Conversation{}, "", 0, err
	}
	c, token, err := s.store.CreateConversation(ctx, n)
	if err != nil {
		return Conversation{}, "", 0, err
	}
	waiting := s.publishQueue(ctx)
	pos := len(waiting)
	for _, w := range waiting {
		if w.ID == c.ID {
			pos = w.Position
		}
	}
	return c, token, pos, nil
}

// AcceptConversation gives a waiting conversation to operator (a moderator
// or admin; Forbidden for anyone else). Conflict when another operator was
// faster.
func (s *Service) AcceptConversation(ctx context.Context, operator *identity.User, id int64) (Conversation, error) {
	if !isChatOperator(operator) {
		return Conversation{}, apperr.Forbiddenf("only moderators accept conversations")
	}
	var m Message
	err := db.InTx(ctx, s.store.pool, func(tx pgx.Tx) (err error) {
		m, err = acceptConversation(ctx, tx, id, operator.ID, operator.Name())
		return err
	})
	if err != nil {
		return Conversation{}, err
	}
	s.metrics.stored.Add(1)
	s.hub.Publish(m)
	s.publishQueue(ctx)
	return s.store.FindConversationByID(ctx, id)
}

// CloseConversation ends a conversation (by its citizen or an operator), keeps
// its transcript and the citizen's rating (optional, 1–5), and creates its
// chat_conversation feedback item, all in one transaction.
func (s *Service) CloseConversation(ctx context.Context, id int64, by string, rating *int) (Conversation, error) {
	return s.CloseConversationAs(ctx, id, by, "", rating)
}

// CloseConversationAs is CloseConversation naming who closed it (the
// operator's name, shown to the citizen in the close notice). The item it
// files is closed at once: the operator answered in the chat, so it waits
// for no answer and has no due date (retention may purge it); it carries
// the phone the citizen gave (with consent) and joins the case of the code
// they gave, if any.
func (s *Service) CloseConversationAs(ctx context.Context, id int64, by, closer string, rating *int) (Conversation, error) {
	if rating != nil && (*rating < 1 || *rating > 5) {
		return Conversation{}, apperr.Invalidf("bad_rating", "a rating is a whole number from 1 to 5")
	}
	var m Message
	err := db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		c, err := findConversation(ctx, tx, id, "FOR UPDATE OF c")
		if err != nil {
			return err
		}
		if c.Status == ConvClosed {
			return apperr.Conflictf("closed", "this conversation has already ended")
		}
		msgs, err := allMessages(ctx, tx, c.Room)
		if err != nil {
			return err
		}
		text := transcript(msgs)
		code := moderation.NewTrackingCode()
		now := time.Now()
		if _, err := tx.Exec(ctx, `
			UPDATE chat_conversations SET status = 'closed', closed_at = now(), closed_by = $2, rating = $3,
				transcript = $4, tracking_code = $5 WHERE id = $1`, id, by, rating, text, code); err != nil {
			return err
		}
		closedMsg := newMessage{Room: c.Room, Kind: KindClosed, Body: by, AuthorRole: "system", Sender: "system"}
		if by == "operator" {
			closedMsg.Author, closedMsg.AuthorRole = closer, "operator"
		}
		if m, err = appendMessage(ctx, tx, closedMsg); err != nil {
			return err
		}
		if text == "" {
			text = "(—)"
		}
		meta := map[string]any{"conversation_id": id, "closed_by": by, "messages": len(msgs)}
		if rating != nil {
			meta["rating"] = *rating
		}
		if c.Operator != "" {
			meta["operator"] = c.Operator
		}
		if c.Name != "" { // shown to moderators; never a key to the person
			meta["name"] = c.Name
		}
		title := c.Topic
		if title == "" {
			title = fmt.Sprintf("Trò chuyện #%d", id)
		}
		var phone, caseCode string
		var tell bool
		if err := tx.QueryRow(ctx, `SELECT contact, notify, case_code FROM chat_conversations WHERE id = $1`, id).Scan(&phone, &tell, &caseCode); err != nil {
			return err
		}
		meta[moderation.MetaNotify] = tell
		n := moderation.NewItem{
			Source: moderation.SourceChatConversation, Ref: strconv.FormatInt(id, 10), TrackingCode: code,
			Title: title, Content: text, Kind: moderation.KindConversation, CitizenID: c.CitizenID,
			Contact: phone, Phone: phone, CaseCode: caseCode,
			Language: c.Language, Meta: meta, URL: fmt.Sprintf("/chat/%d", id),
			// The operator already answered in the chat: the item is a record
			// of a settled contact, not a question waiting for an answer.
			Status: moderation.StatusClosed, DueAt: &now,
		}
		it, err := s.queue.Enqueue(ctx, tx, n)
		if apperr.As(err).Code == "unknown_case_code" {
			// The code was found when the chat opened; should its case be
			// gone since, the transcript is kept all the same.
			n.CaseCode = ""
			it, err = s.queue.Enqueue(ctx, tx, n)
		}
		if err != nil {
			return err
		}
		if it.TrackingCode != code { // the queue picked a fresh code after a collision
			_, err = tx.Exec(ctx, `UPDATE chat_conversations SET tracking_code = $2 WHERE id = $1`, id, it.TrackingCode)
		}
		return err
	})
	if err != nil {
		return Conversation{}, err
	}
	s.metrics.stored.Add(1)
	s.hub.Publish(m)
	s.publishQueue(ctx)
	return s.store.FindConversationByID(ctx, id)
}

// RateConversation records the citizen's rating after the conversation
// ended (when they rate after the operator closed it).
func (s *Service) RateConversation(ctx context.Context, id int64, rating int) error {
	if rating < 1 || rating > 5 {
		return apperr.Invalidf("bad_rating", "a rating is a whole number from 1 to 5")
	}
	return db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE chat_conversations SET rating = $2 WHERE id = $1 AND status = 'closed'`, id, rating)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return apperr.Conflictf("not_closed", "rate a conversation once it has ended")
		}
		// The rating reaches the queue item too (filed when the chat closed,
		// before the citizen rated it).
		if m, ok := s.queue.(metaSetter); ok {
			if _, err := m.SetMeta(ctx, tx, moderation.SourceChatConversation, strconv.FormatInt(id, 10), "rating", rating); err != nil && apperr.KindOf(err) != apperr.NotFound {
				return err
			}
		}
		return nil
	})
}

// metaSetter and caseTracker are what the chat needs of the queue beyond
// Queue (*moderation.Service provides both).
type metaSetter interface {
	SetMeta(ctx context.Context, tx pgx.Tx, src moderation.Source, ref, key string, value any) (moderation.Item, error)
}

type caseTracker interface {
	Track(ctx context.Context, ip, code string) (moderation.Item, error)
}

// checkCase tells whether code (already well formed) is a submission's
// tracking code, on behalf of the client at ip and within the tracking
// look-up limits (a code is a case's secret: this is no way around them).
func (s *Service) checkCase(ctx context.Context, ip, code string) error {
	t, ok := s.queue.(caseTracker)
	if code == "" || !ok {
		return nil
	}
	_, err := t.Track(ctx, ip, code)
	if apperr.KindOf(err) == apperr.NotFound {
		return apperr.Invalidf("unknown_case_code", "no submission has the tracking code %s; check it or leave it out", code)
	}
	return err
}

// sendChatLine stores a line from socket c in conversation id.
func (s *Service) sendChatLine(ctx context.Context, c *Conn, id int64, body, clientID string) (Message, error) {
	body, err := validBody(body, MaxBodyRunes)
	if err != nil {
		return Message{}, err
	}
	role := c.convOK[id]
	nm := newMessage{Room: ConvRoom(id), Kind: KindText, Body: body, AuthorRole: role, ClientID: clientID}
	if role == "operator" {
		nm.Author, nm.AuthorID, nm.Sender = c.user.Name(), &c.user.ID, fmt.Sprintf("u:%d", c.user.ID)
	} else {
		nm.Sender = fmt.Sprintf("c:%d", id)
	}
	// The batcher checks the conversation (closed; an operator must have
	// accepted it), takes the room's next seq, stores, publishes after the
	// commit, and spots resends (batch.go). A citizen's author is the
	// conversation's name, read there.
	res, err := s.lines.store(ctx, &lineReq{conv: id, operator: role == "operator", m: nm})
	if err != nil {
		return Message{}, err
	}
	return res.m, nil
}

// authorizeJoin decides whether socket c may join room rn: a live room
// anyone; a conversation its citizen (account or token) and chat operators;
// the queue chat operators. Leaders are not chat operators.
func (s *Service) authorizeJoin(ctx context.Context, c *Conn, rn RoomName, token string) error {
	switch rn.Kind {
	case RoomQueue:
		if !isChatOperator(c.user) {
			return apperr.Forbiddenf("the queue is for moderators")
		}
		return nil
	case roomLive:
		_, err := s.store.FindSessionByID(ctx, rn.ID)
		if apperr.KindOf(err) == apperr.NotFound {
			return apperr.NotFoundf("unknown room %q", rn.String())
		}
		if err != nil {
			return fmt.Errorf("find live session %d: %w", rn.ID, err)
		}
		return nil
	}
	if _, ok := c.convOK[rn.ID]; ok {
		return nil
	}
	conv, err := s.store.FindConversationByID(ctx, rn.ID)
	if apperr.KindOf(err) == apperr.NotFound {
		return apperr.NotFoundf("unknown room %q", rn.String())
	}
	if err != nil {
		return err
	}
	role := ""
	switch {
	case isChatOperator(c.user):
		role = "operator"
	case c.user != nil && conv.CitizenID != nil && *conv.CitizenID == c.user.ID:
		role = "citizen"
	default:
		tokens := append([]string(nil), c.convTokens...)
		if token != "" {
			tokens = append(tokens, token)
		}
		for _, t := range tokens {
			if ok, err := s.store.CheckConversationToken(ctx, rn.ID, t); err != nil {
				return err
			} else if ok {
				role = "citizen"
				break
			}
		}
	}
	if role == "" {
		return apperr.Forbiddenf("this conversation is not yours")
	}
	if c.convOK == nil {
		c.convOK = map[int64]string{}
	}
	c.convOK[rn.ID] = role
	return nil
}

// afterJoin sends the state a socket needs beyond the messages: the queue
// to moderators, the place in the queue to a waiting citizen.
func (s *Service) afterJoin(c *Conn, rn RoomName) {
	ctx, cancel := context.WithTimeout(s.hub.ctx, 5e9)
	defer cancel()
	switch rn.Kind {
	case RoomQueue:
		waiting, err := s.store.WaitingConversations(ctx)
		if err == nil {
			c.reply(mustJSON(queueFrame{Type: frameQueue, Room: RoomQueue, Waiting: nonNil(waiting)}))
		}
	case roomConv:
		if conv, err := s.store.FindConversationByID(ctx, rn.ID); err == nil && s.expired(conv) {
			// A citizen who reconnects after the wait ran out still gets the form.
			c.reply(mustJSON(event{Type: frameOffline, Room: rn.String()}))
		}
		waiting, err := s.store.WaitingConversations(ctx)
		if err != nil {
			return
		}
		for _, w := range waiting {
			if w.ID == rn.ID {
				p := w.Position
				c.reply(mustJSON(event{Type: framePosition, Room: rn.String(), Position: &p}))
			}
		}
	}
}

// publishQueue tells moderators the queue and each waiting citizen their
// place in it. It returns the queue.
func (s *Service) publishQueue(ctx context.Context) []QueueItem {
	waiting, err := s.store.WaitingConversations(ctx)
	if err != nil {
		s.log.Warn("livechat: read queue", "err", err)
		return nil
	}
	s.hub.Event(RoomQueue, mustJSON(queueFrame{Type: frameQueue, Room: RoomQueue, Waiting: nonNil(waiting)}))
	for _, w := range waiting {
		p := w.Position
		s.hub.Event(ConvRoom(w.ID), mustJSON(event{Type: framePosition, Room: ConvRoom(w.ID), Position: &p}))
	}
	return waiting
}

func nonNil(q []QueueItem) []QueueItem {
	if q == nil {
		return []QueueItem{}
	}
	return q
}
