package callcenter

import (
	"embed"
	"github.com/doithoai/doithoai/internal/contact"
	"io/fs"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
)

//go:embed templates/*.html
var templatesFS embed.FS

//go:embed messages/*.json
var messagesFS embed.FS

// Messages is the hotline desk's message catalog.
var Messages fs.FS = messagesFS

// Templates are the hotline desk's templates (for the catalog test).
var Templates fs.FS = templatesFS

type deskPage struct {
	web.Page
	Live          []liveView
	OperatorCalls []OperatorCall
	Callbacks     []Callback
	Calls         []CDR
	Agents        []AgentStatus
	Flash         string
	CanWrite      bool // moderators and admins write summaries and see numbers
	Languages     []Language
	L             deskLabels
}

// LangName shows a caller's language by its configured name ("Tiếng
// H'Mông"), or the code if it is no longer configured.
func (p deskPage) LangName(code string) string {
	if code == "" {
		return ""
	}
	return languageName(p.Languages, code)
}

// noteForm is what the "callnote" template needs: the page (for its
// translations and CSRF token) and one call's notes.
type noteForm struct {
	P                       deskPage
	CallID, Summary, Answer string
}

func newNoteForm(p deskPage, callID, summary, answer string) noteForm {
	return noteForm{P: p, CallID: callID, Summary: summary, Answer: answer}
}

// liveView is a bridged call on the desk: what the caller chose in the
// IVR, their earlier cases, and what the operator wrote so far.
type liveView struct {
	LiveCall
	Earlier []moderation.Item
	Summary string
	Answer  string
}

// handleDesk serves GET /hotline: the moderators' hotline desk — callbacks
// to make (answer in hand, the recording a click away), agents registered
// now, and the latest calls.
func (c *Center) handleDesk(w http.ResponseWriter, r *http.Request) error {
	p := deskPage{Page: web.NewPage(r, "hotline.title"), Agents: c.engine.agents.snapshot(), CanWrite: seesPersonalData(actor(r))}
	p.Wide = true
	var err error
	if p.Languages, err = c.store.Languages(r.Context()); err != nil {
		return err
	}
	if p.Live, err = c.liveViews(r); err != nil {
		return err
	}
	if p.L, err = c.deskLabels(r.Context(), p.Page); err != nil {
		return err
	}
	if p.OperatorCalls, err = c.store.FindOperatorCalls(r.Context(), time.Now().Add(-24*time.Hour), 50); err != nil {
		return err
	}
	if p.Callbacks, err = c.store.FindCallbacks(r.Context(), CallbackOpen, 200); err != nil {
		return err
	}
	if p.Calls, _, err = c.store.FindCDRs(r.Context(), CDRFilter{From: time.Now().Add(-7 * 24 * time.Hour), Limit: 50}); err != nil {
		return err
	}
	if !p.CanWrite {
		for i := range p.Live {
			p.Live[i].Caller = moderation.MaskContact(p.Live[i].Caller)
		}
		for i := range p.OperatorCalls {
			p.OperatorCalls[i].Caller = moderation.MaskContact(p.OperatorCalls[i].Caller)
		}
		for i := range p.Callbacks {
			p.Callbacks[i].Caller = moderation.MaskContact(p.Callbacks[i].Caller)
			p.Callbacks[i].RecordingURL = ""
		}
		for i := range p.Calls {
			p.Calls[i].Caller = moderation.MaskContact(p.Calls[i].Caller)
		}
	}
	if r.URL.Query().Get("done") != "" {
		p.Flash = p.Tr("hotline.callback_done")
	}
	if r.URL.Query().Get("saved") != "" {
		p.Flash = p.Tr("hotline.note_saved")
	}
	if r.URL.Query().Get("attempt") != "" {
		p.Flash = p.Tr("hotline.attempt_recorded")
	}
	return c.render.Render(w, r, http.StatusOK, "desk", p)
}

// handleDeskCallbackDone serves POST /hotline/callbacks/{id}/done: the form
// a moderator sends after phoning the citizen.
func (c *Center) handleDeskCallbackDone(w http.ResponseWriter, r *http.Request) error {
	u := actor(r)
	if !seesPersonalData(u) {
		return apperr.Forbiddenf("only moderators mark callbacks done")
	}
	id, err := web.PathID(r, "id", "callback")
	if err != nil {
		return err
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if len([]rune(note)) > 2000 {
		return apperr.Invalidf("note_too_long", "the note is longer than 2000 characters")
	}
	if _, err := c.store.MarkCallbackDone(r.Context(), id, u.ID, note); err != nil {
		return err
	}
	http.Redirect(w, r, "/hotline?done=1", http.StatusSeeOther)
	return nil
}

// liveViews lists the calls bridged on every node with the caller's earlier
// cases: the person's items from every channel, found by the normalised
// number (0912… and +84912… are one caller).
func (c *Center) liveViews(r *http.Request) ([]liveView, error) {
	var out []liveView
	for _, lc := range c.engine.deskLiveCalls(r.Context()) {
		v := liveView{LiveCall: lc}
		if phone, err := contact.Phone(lc.Caller); err == nil {
			items, err := c.store.mod.Store.FindPersonHistory(r.Context(), moderation.Item{CitizenPhone: phone}, 10)
			if err != nil {
				return nil, err
			}
			v.Earlier = items
		}
		var err error
		if v.Summary, v.Answer, err = c.store.CallNote(r.Context(), lc.CallID); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Limits of what the desk form takes (runes).
const (
	maxSummaryLen = 5000
	maxCallIDLen  = 256
)

// handleDeskCallNote serves POST /hotline/call-notes {call_id, summary,
// answer}: the operator's summary of a call and, if they settled it on
// the phone, the answer. Accepted while the call is bridged (on any node)
// and afterwards for its ticket.
func (c *Center) handleDeskCallNote(w http.ResponseWriter, r *http.Request) error {
	u := actor(r)
	if !seesPersonalData(u) {
		return apperr.Forbiddenf("only moderators and admins write call summaries")
	}
	callID := r.PostFormValue("call_id")
	summary := strings.TrimSpace(r.PostFormValue("summary"))
	answer := strings.TrimSpace(r.PostFormValue("answer"))
	switch {
	case callID == "" || len(callID) > maxCallIDLen:
		return apperr.Invalidf("bad_call", "call_id is missing or too long")
	case !utf8.ValidString(summary) || !utf8.ValidString(answer):
		return apperr.Invalidf("invalid_utf8", "text is not valid UTF-8")
	case utf8.RuneCountInString(summary) > maxSummaryLen:
		return apperr.Invalidf("summary_too_long", "the summary is longer than %d characters", maxSummaryLen)
	case utf8.RuneCountInString(answer) > moderation.MaxAnswerLen:
		return apperr.Invalidf("answer_too_long", "the answer is longer than %d characters", moderation.MaxAnswerLen)
	case summary == "" && answer == "":
		return apperr.Invalidf("note_empty", "write a summary or an answer")
	}
	live, err := c.engine.liveAnywhere(r.Context(), callID)
	if err != nil {
		return err
	}
	if !live {
		known, err := c.store.CallKnown(r.Context(), callID)
		if err != nil {
			return err
		}
		if !known {
			return apperr.NotFoundf("no call with an operator has this id")
		}
	}
	if err := c.store.SaveCallNote(r.Context(), callID, u, summary, answer); err != nil {
		return err
	}
	http.Redirect(w, r, "/hotline?saved=1", http.StatusSeeOther)
	return nil
}
