package callcenter

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
	"time"

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
	Callbacks []Callback
	Calls     []CDR
	Agents    []AgentStatus
	Flash     string
}

// handleDesk serves GET /hotline: the moderators' hotline desk — callbacks
// to make (answer in hand, the recording a click away), agents registered
// now, and the latest calls.
func (c *Center) handleDesk(w http.ResponseWriter, r *http.Request) error {
	p := deskPage{Page: web.NewPage(r, "hotline.title"), Agents: c.engine.agents.snapshot()}
	p.Wide = true
	var err error
	if p.Callbacks, err = c.store.FindCallbacks(r.Context(), CallbackOpen, 200); err != nil {
		return err
	}
	if p.Calls, _, err = c.store.FindCDRs(r.Context(), CDRFilter{From: time.Now().Add(-7 * 24 * time.Hour), Limit: 50}); err != nil {
		return err
	}
	if !seesPersonalData(actor(r)) {
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
