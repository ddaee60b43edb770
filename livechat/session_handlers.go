package livechat

import (
	"net/http"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
)

// handleSessionCreate serves POST /api/v1/live-sessions (admin):
// {title, starts_at, leaders:[login], description?, duration_minutes?} →
// 201 {id, url}.
func (s *Service) handleSessionCreate(w http.ResponseWriter, r *http.Request) error {
	var n NewSession
	if err := web.DecodeJSON(w, r, &n); err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	ss, err := s.ScheduleSession(r.Context(), u, n)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusCreated, map[string]any{"id": ss.ID, "url": ss.URL, "room": ss.Room, "session": ss})
	return nil
}

// handleSessionList serves GET /api/v1/live-sessions: {sessions}, newest first.
func (s *Service) handleSessionList(w http.ResponseWriter, r *http.Request) error {
	list, err := s.store.FindSessions(r.Context(), 200)
	if err != nil {
		return err
	}
	if list == nil {
		list = []Session{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"sessions": list})
	return nil
}

// handleSessionShow serves GET /api/v1/live-sessions/{id}: the session
// and its public questions with answers (all questions for staff).
func (s *Service) handleSessionShow(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	ss, err := s.store.FindSessionByID(r.Context(), id)
	if err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	qs, err := s.store.FindQuestions(r.Context(), id, u.IsStaff())
	if err != nil {
		return err
	}
	if qs == nil {
		qs = []Question{}
	}
	web.JSON(w, http.StatusOK, map[string]any{"session": ss, "questions": qs})
	return nil
}

// submitQuestion is shared by the API and the no-JS form: rate limited per
// address.
func (s *Service) submitQuestion(r *http.Request, sessionID int64, n NewQuestion) (Question, error) {
	n.IP = web.ClientIP(r)
	if ok, retry, err := s.limiter.Allow(r.Context(), "lc:ask:"+n.IP, 20, 10*time.Minute); err == nil && !ok {
		return Question{}, &apperr.Error{Kind: apperr.TooMany, Code: "rate_limited", Message: "too many questions from your address; try again later", RetryAfter: retry}
	}
	if u, ok := identity.From(r.Context()); ok && u.Role == identity.RoleCitizen {
		n.CitizenID = &u.ID
	}
	return s.SubmitQuestion(r.Context(), sessionID, n)
}

// handleQuestionCreate serves POST /api/v1/live-sessions/{id}/questions
// {body, name?} (anyone): 201 {id, tracking_code, status}.
func (s *Service) handleQuestionCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var n NewQuestion
	if err := web.DecodeJSON(w, r, &n); err != nil {
		return err
	}
	q, err := s.submitQuestion(r, id, n)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusCreated, map[string]any{"id": q.ID, "tracking_code": q.TrackingCode, "status": q.Status})
	return nil
}

// handleQuestionModerate serves POST
// /api/v1/live-sessions/{id}/questions/{qid}/{approve|reject} (staff)
// {reason?}: 204.
func (s *Service) handleQuestionModerate(action string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, qid, err := sessionQuestionIDs(r)
		if err != nil {
			return err
		}
		var in struct {
			Reason string `json:"reason"`
		}
		if r.ContentLength != 0 {
			if err := web.DecodeJSON(w, r, &in); err != nil {
				return err
			}
		}
		u, _ := identity.From(r.Context())
		if err := s.ModerateQuestion(r.Context(), u, id, qid, action, in.Reason); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// handleQuestionOrder serves POST /api/v1/live-sessions/{id}/order
// {question_ids} (staff): 204.
func (s *Service) handleQuestionOrder(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		QuestionIDs []int64 `json:"question_ids"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	if err := s.ReorderQuestions(r.Context(), u, id, in.QuestionIDs); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleAnswerCreate serves POST /api/v1/live-sessions/{id}/answers
// {question_id, body} (the session's leaders): 201 {id, seq}.
func (s *Service) handleAnswerCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		QuestionID int64  `json:"question_id"`
		Body       string `json:"body"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	a, m, err := s.AnswerQuestion(r.Context(), u, id, in.QuestionID, in.Body)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusCreated, map[string]any{"id": a.ID, "seq": m.Seq, "answer": a})
	return nil
}

// handleSessionEnd serves POST /api/v1/live-sessions/{id}/end (admin or
// the session's leaders): 204.
func (s *Service) handleSessionEnd(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	if err := s.EndSession(r.Context(), u, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
