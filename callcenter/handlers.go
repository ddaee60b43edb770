package callcenter

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
)

func actor(r *http.Request) *identity.User {
	u, _ := identity.From(r.Context())
	return u
}

// seesPersonalData: moderators and admins work with citizens; leaders see
// figures with phone numbers masked.
func seesPersonalData(u *identity.User) bool {
	return u.HasRole(identity.RoleModerator, identity.RoleAdmin)
}

// handleRecording serves GET /api/v1/hotline/tickets/{id}/recording: the
// voicemail as audio/wav, with Range support so the browser's player can
// seek.
func (c *Center) handleRecording(w http.ResponseWriter, r *http.Request) error {
	if !seesPersonalData(actor(r)) {
		return apperr.Forbiddenf("recordings are for moderators and admins")
	}
	id, err := web.PathID(r, "id", "ticket")
	if err != nil {
		return err
	}
	t, err := c.store.FindTicketByID(r.Context(), id)
	if err != nil {
		return err
	}
	if t.RecordingPath == "" { // deleted by the retention job
		return apperr.NotFoundf("the recording is no longer kept")
	}
	return c.serveAudio(w, r, t.RecordingPath, "hotline-"+t.Number+".wav", "the recording is no longer kept")
}

// handleTicketView serves GET /api/v1/hotline/tickets/{id}.
func (c *Center) handleTicketView(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id", "ticket")
	if err != nil {
		return err
	}
	t, err := c.store.FindTicketByID(r.Context(), id)
	if err != nil {
		return err
	}
	if !seesPersonalData(actor(r)) {
		t.Caller = moderation.MaskContact(t.Caller)
	}
	out := map[string]any{"ticket": t, "recording_url": recordingURL(t.ID)}
	if rel, err := c.store.AnswerAudio(r.Context(), id); err != nil {
		return err
	} else if rel != "" {
		out["answer_audio_url"] = answerAudioURL(id) // the moderator's spoken answer (ivr_answer_audio.go)
	}
	web.JSON(w, http.StatusOK, out)
	return nil
}

// handleCallbackIndex serves GET /api/v1/hotline/callbacks?status=open|done.
func (c *Center) handleCallbackIndex(w http.ResponseWriter, r *http.Request) error {
	status := r.URL.Query().Get("status")
	if status != "" && status != CallbackOpen && status != CallbackDone && status != CallbackUnreached {
		return apperr.Invalidf("bad_status", "status is open, done or unreached")
	}
	cbs, err := c.store.FindCallbacks(r.Context(), status, 200)
	if err != nil {
		return err
	}
	if !seesPersonalData(actor(r)) {
		for i := range cbs {
			cbs[i].Caller = moderation.MaskContact(cbs[i].Caller)
		}
	}
	web.JSON(w, http.StatusOK, map[string]any{"callbacks": cbs})
	return nil
}

// handleCallbackDone serves POST /api/v1/hotline/callbacks/{id}/done
// {note?}: the moderator has phoned the citizen.
func (c *Center) handleCallbackDone(w http.ResponseWriter, r *http.Request) error {
	u := actor(r)
	if !u.HasRole(identity.RoleModerator, identity.RoleAdmin) {
		return apperr.Forbiddenf("only moderators mark callbacks done")
	}
	id, err := web.PathID(r, "id", "callback")
	if err != nil {
		return err
	}
	var body struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := web.DecodeJSON(w, r, &body); err != nil {
			return err
		}
	}
	if len([]rune(body.Note)) > 2000 {
		return apperr.Invalidf("note_too_long", "the note is longer than 2000 characters")
	}
	cb, err := c.store.MarkCallbackDone(r.Context(), id, u.ID, strings.TrimSpace(body.Note))
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, cb)
	return nil
}

// handleCallIndex serves GET /api/v1/hotline/calls?from=&to=&outcome=&limit=&offset=
// (dates as RFC 3339 or YYYY-MM-DD): the call detail records.
func (c *Center) handleCallIndex(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f CDRFilter
	var err error
	if f.From, err = parseTimeParam(q.Get("from")); err != nil {
		return err
	}
	if f.To, err = parseTimeParam(q.Get("to")); err != nil {
		return err
	}
	switch f.Outcome = q.Get("outcome"); f.Outcome {
	case "", OutcomeAgent, OutcomeVoicemail, OutcomeAbandoned, OutcomeAnswered:
	default:
		return apperr.Invalidf("bad_outcome", "outcome is agent, voicemail, abandoned or answered")
	}
	f.Limit, f.Offset = 50, 0
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 500 {
			return apperr.Invalidf("bad_limit", "limit is 1-500")
		}
	}
	if v := q.Get("offset"); v != "" {
		if f.Offset, err = strconv.Atoi(v); err != nil || f.Offset < 0 {
			return apperr.Invalidf("bad_offset", "offset is a non-negative integer")
		}
	}
	cdrs, total, err := c.store.FindCDRs(r.Context(), f)
	if err != nil {
		return err
	}
	if !seesPersonalData(actor(r)) {
		for i := range cdrs {
			cdrs[i].Caller = moderation.MaskContact(cdrs[i].Caller)
		}
	}
	web.JSON(w, http.StatusOK, map[string]any{"calls": cdrs, "total": total})
	return nil
}

func parseTimeParam(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, i18n.Vietnam); err == nil {
		return t, nil
	}
	return time.Time{}, apperr.Invalidf("bad_date", "dates are RFC 3339 or YYYY-MM-DD, got %q", v)
}

// handleAgentIndex serves GET /api/v1/hotline/agents: live registrations.
func (c *Center) handleAgentIndex(w http.ResponseWriter, r *http.Request) error {
	web.JSON(w, http.StatusOK, map[string]any{"agents": c.engine.agents.snapshot()})
	return nil
}

// handleMenuView serves GET /api/v1/hotline/menu (admin).
func (c *Center) handleMenuView(w http.ResponseWriter, r *http.Request) error {
	m, err := c.store.Menu(r.Context())
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, m)
	return nil
}

// handleMenuUpdate serves PUT /api/v1/hotline/menu (admin): the whole
// menu, validated; calls starting afterwards use it.
func (c *Center) handleMenuUpdate(w http.ResponseWriter, r *http.Request) error {
	var m Menu
	if err := web.DecodeJSON(w, r, &m); err != nil {
		return err
	}
	if err := c.store.SaveMenuAs(r.Context(), m, actor(r)); err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, m)
	return nil
}
