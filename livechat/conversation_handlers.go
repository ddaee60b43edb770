package livechat

import (
	"net/http"
	"strconv"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
)

func idParam(r *http.Request, name string) (int64, error) { return web.PathID(r, name, name) }

// sessionQuestionIDs reads the {id} (session) and {qid} (question) of a
// live-question route.
func sessionQuestionIDs(r *http.Request) (id, qid int64, err error) {
	if id, err = idParam(r, "id"); err != nil {
		return 0, 0, err
	}
	qid, err = idParam(r, "qid")
	return id, qid, err
}

// openConversation is shared by the API and the /chat form: rate limited
// per address, since anyone may open one.
func (s *Service) openConversation(w http.ResponseWriter, r *http.Request, n NewConversation) (Conversation, string, int, error) {
	ip := web.ClientIP(r)
	if ok, retry, err := s.limiter.Allow(r.Context(), "lc:open:"+ip, 10, 10*60e9); err == nil && !ok {
		return Conversation{}, "", 0, &apperr.Error{Kind: apperr.TooMany, Code: "rate_limited", Message: "too many conversations from your address; try again later", RetryAfter: retry}
	}
	// An earlier code must be a submission's: checked before anything is
	// stored, within the tracking look-up limits of the address.
	if err := n.Validate(); err != nil {
		return Conversation{}, "", 0, err
	}
	if err := s.checkCase(r.Context(), ip, n.CaseCode); err != nil {
		return Conversation{}, "", 0, err
	}
	if u, ok := identity.From(r.Context()); ok && u.Role == identity.RoleCitizen {
		n.CitizenID = &u.ID
		if n.Name == "" && n.consented() { // the account's name, kept only with consent
			n.Name = u.Name()
		}
	}
	n.IP = ip
	c, token, pos, err := s.OpenConversation(r.Context(), n)
	if err != nil {
		return c, "", 0, err
	}
	http.SetCookie(w, &http.Cookie{Name: convCookie, Value: strconv.FormatInt(c.ID, 10) + "." + token, Path: "/",
		HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 30 * 24 * 3600})
	return c, token, pos, nil
}

// handleConversationCreate serves POST /api/v1/conversations: 201 {id,
// token, room, position}; the token is also set as the lc_conv cookie.
func (s *Service) handleConversationCreate(w http.ResponseWriter, r *http.Request) error {
	var n NewConversation
	if err := web.DecodeJSON(w, r, &n); err != nil {
		return err
	}
	c, token, pos, err := s.openConversation(w, r, n)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusCreated, map[string]any{"id": c.ID, "token": strconv.FormatInt(c.ID, 10) + "." + token,
		"room": c.Room, "status": c.Status, "position": pos, "url": "/chat"})
	return nil
}

// conversationAccess returns the conversation if r may see it: a chat
// operator (moderator, admin), its citizen's account, or a request carrying
// its token. who is "operator" or "citizen". Anyone else, leaders
// included, gets Forbidden.
func (s *Service) conversationAccess(r *http.Request, id int64) (c Conversation, who string, err error) {
	c, err = s.store.FindConversationByID(r.Context(), id)
	if err != nil {
		return c, "", err
	}
	u, _ := identity.From(r.Context())
	if isChatOperator(u) {
		return c, "operator", nil
	}
	if u != nil && c.CitizenID != nil && *c.CitizenID == u.ID {
		return c, "citizen", nil
	}
	for _, cr := range convCredentials(r) {
		if cr.ID != id {
			continue
		}
		ok, err := s.store.CheckConversationToken(r.Context(), id, cr.Token)
		if err != nil {
			return c, "", err
		}
		if ok {
			return c, "citizen", nil
		}
	}
	return c, "", apperr.Forbiddenf("this conversation is not yours")
}

// handleConversationShow serves GET /api/v1/conversations/{id}: the
// conversation and its messages, to its citizen or a chat operator.
func (s *Service) handleConversationShow(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	c, _, err := s.conversationAccess(r, id)
	if err != nil {
		return err
	}
	msgs, err := allMessages(r.Context(), s.store.pool, c.Room)
	if err != nil {
		return err
	}
	if msgs == nil {
		msgs = []Message{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"conversation": c, "messages": msgs})
	return nil
}

// handleConversationList serves GET /api/v1/conversations (chat operators): the
// waiting queue and the active conversations.
func (s *Service) handleConversationList(w http.ResponseWriter, r *http.Request) error {
	waiting, err := s.store.WaitingConversations(r.Context())
	if err != nil {
		return err
	}
	active, err := s.store.ActiveConversations(r.Context(), 0)
	if err != nil {
		return err
	}
	if active == nil {
		active = []Conversation{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"waiting": nonNil(waiting), "active": active})
	return nil
}

// handleConversationAccept serves POST /api/v1/conversations/{id}/accept
// (chat operators): 200 with the conversation, 409 when it is no longer waiting.
func (s *Service) handleConversationAccept(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	c, err := s.AcceptConversation(r.Context(), u, id)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, c)
	return nil
}

// handleConversationClose serves POST /api/v1/conversations/{id}/close
// {rating?} (its citizen or a chat operator): stores the transcript and creates the
// chat_conversation feedback item.
func (s *Service) handleConversationClose(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Rating *int `json:"rating"`
	}
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	_, who, err := s.conversationAccess(r, id)
	if err != nil {
		return err
	}
	closer := ""
	if who == "operator" {
		in.Rating = nil // the rating is the citizen's
		u, _ := identity.From(r.Context())
		closer = u.Name()
	}
	c, err := s.CloseConversationAs(r.Context(), id, who, closer, in.Rating)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, c)
	return nil
}

// handleConversationRate serves POST /api/v1/conversations/{id}/rating
// {rating} (its citizen, once it has ended).
func (s *Service) handleConversationRate(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Rating int `json:"rating"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	_, who, err := s.conversationAccess(r, id)
	if err != nil {
		return err
	}
	if who != "citizen" {
		return apperr.Forbiddenf("the rating is the citizen's")
	}
	if err := s.RateConversation(r.Context(), id, in.Rating); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
