package livechat

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/contact"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
)

var pageFuncs = template.FuncMap{
	"lcAsset": assetURL,
	"hhmm":    func(t time.Time) string { return t.In(i18n.Vietnam).Format("15:04") },
}

// clientMessages are the catalog keys the page script needs.
var clientMessages = []string{"chat.you", "chat.citizen", "chat.operator", "chat.typing", "chat.position",
	"chat.accepted", "chat.closed", "chat.reconnecting", "chat.connected", "live.viewers", "live.answer",
	"live.ended", "desk.approve", "desk.reject", "desk.up", "desk.down", "leader.send", "chatdesk.accept",
	"chatdesk.empty", "chat.send", "chat.error", "leader.answer_label", "chat.closed_by"}

func clientI18N(t i18n.Translator) map[string]string {
	m := make(map[string]string, len(clientMessages))
	for _, k := range clientMessages {
		m[k] = t.T(k)
	}
	return m
}

// livePage is the data of every page that opens a socket.
type livePage struct {
	web.Page
	I18N map[string]string
}

func newLivePage(r *http.Request, titleKey string, args ...any) livePage {
	p := web.NewPage(r, titleKey, args...)
	return livePage{Page: p, I18N: clientI18N(p.T)}
}

type sessionIndexData struct {
	web.Page
	Live, Upcoming, Ended []Session
}

// handleSessionIndex serves GET /giao-luu: ongoing, upcoming and past sessions.
func (s *Service) handleSessionIndex(w http.ResponseWriter, r *http.Request) error {
	list, err := s.store.FindSessions(r.Context(), 200)
	if err != nil {
		return err
	}
	d := sessionIndexData{Page: web.NewPage(r, "live.index_title")}
	for i := len(list) - 1; i >= 0; i-- { // upcoming soonest first
		if list[i].Status == SessionUpcoming {
			d.Upcoming = append(d.Upcoming, list[i])
		}
	}
	for _, ss := range list {
		switch ss.Status {
		case SessionLive:
			d.Live = append(d.Live, ss)
		case SessionEnded:
			d.Ended = append(d.Ended, ss)
		}
	}
	return s.pages.Render(w, r, http.StatusOK, "sessions", d)
}

type sessionPageData struct {
	livePage
	Session   Session
	Questions []Question
	LastSeq   int64
	Asked     string     // tracking code of the question just sent (no-JS flow)
	Own       []Question // the asker's own questions still pending (askedCodes)
	FormError string
	Form      NewQuestion
	IsLeader  bool
	IsStaff   bool
	// Categories a desk may publish an answered question to (the forum's).
	Categories []moderation.AnswerCategory
}

func (s *Service) sessionPage(r *http.Request, id int64, all bool, titleKey string) (sessionPageData, error) {
	ss, err := s.store.FindSessionByID(r.Context(), id)
	if err != nil {
		return sessionPageData{}, err
	}
	qs, err := s.store.FindQuestions(r.Context(), id, all)
	if err != nil {
		return sessionPageData{}, err
	}
	last, _, err := s.store.LastSeq(r.Context(), ss.Room)
	if err != nil {
		return sessionPageData{}, err
	}
	u, _ := identity.From(r.Context())
	d := sessionPageData{livePage: newLivePage(r, titleKey, ss.Title), Session: ss, Questions: qs, LastSeq: last,
		IsStaff: u.IsStaff(), IsLeader: u != nil && (ss.HasLeader(u.ID) || u.HasRole(identity.RoleAdmin))}
	d.Title = ss.Title
	return d, nil
}

// handleSessionPage serves GET /giao-luu/{id}: the session's questions and
// answers (readable without JavaScript; the script adds live updates) and
// the question form while it is not over.
func (s *Service) handleSessionPage(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	d, err := s.sessionPage(r, id, false, "live.session_title")
	if err != nil {
		return err
	}
	d.Asked = r.URL.Query().Get("asked")
	if d.Own, err = s.store.FindOwnPending(r.Context(), id, askedCodes(r)); err != nil {
		return err
	}
	var login string
	d.Form.Name, login = citizenDefaults(r)
	if _, err := contact.Phone(login); err == nil { // the form asks for a phone number, not an e-mail address
		d.Form.Phone = login
	}
	return s.pages.Render(w, r, http.StatusOK, "session", d)
}

// handleQuestionForm serves POST /giao-luu/{id}/hoi, the question form
// without JavaScript; errors come back into the form.
func (s *Service) handleQuestionForm(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	n := NewQuestion{Body: r.PostFormValue("body"), Name: r.PostFormValue("name"), Phone: r.PostFormValue("phone"), Consent: r.PostFormValue("consent") != ""}
	q, err := s.submitQuestion(r, id, n)
	if err != nil {
		e := apperr.As(err)
		if e.Kind == apperr.Internal || e.Kind == apperr.NotFound {
			return err
		}
		d, derr := s.sessionPage(r, id, false, "live.session_title")
		if derr != nil {
			return derr
		}
		d.Form = n
		if d.Own, derr = s.store.FindOwnPending(r.Context(), id, askedCodes(r)); derr != nil {
			return derr
		}
		d.FormError = d.Tr("live.form_error")
		if key := "live.err." + e.Code; d.Tr(key) != key {
			d.FormError = d.Tr(key)
		}
		return s.pages.Render(w, r, http.StatusUnprocessableEntity, "session", d)
	}
	s.rememberAsked(w, r, id, q.TrackingCode)
	http.Redirect(w, r, "/giao-luu/"+strconv.FormatInt(id, 10)+"?asked="+url.QueryEscape(q.TrackingCode)+"#ask", http.StatusSeeOther)
	return nil
}

// handleDeskPage serves GET /giao-luu/{id}/dieu-phoi (staff): every
// question, to approve, reject and order, live.
func (s *Service) handleDeskPage(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	d, err := s.deskPage(r, id)
	if err != nil {
		return err
	}
	return s.pages.Render(w, r, http.StatusOK, "desk", d)
}

func (s *Service) deskPage(r *http.Request, id int64) (sessionPageData, error) {
	d, err := s.sessionPage(r, id, true, "live.session_title")
	if err != nil {
		return d, err
	}
	d.Wide = true
	if s.queue != nil {
		if d.Categories, err = s.queue.AnswerCategories(r.Context()); err != nil {
			return d, err
		}
	}
	return d, nil
}

// handleLeaderPage serves GET /giao-luu/{id}/tra-loi (the session's
// leaders, admins): approved questions in order, each with an answer box.
func (s *Service) handleLeaderPage(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	d, err := s.sessionPage(r, id, false, "live.session_title")
	if err != nil {
		return err
	}
	if !d.IsLeader {
		return apperr.Forbiddenf("only this session's leaders answer in it")
	}
	d.Wide = true
	return s.pages.Render(w, r, http.StatusOK, "leader", d)
}

type scheduleData struct {
	web.Page
	Form      NewSession
	StartsAt  string
	Leaders   string
	FormError string
}

// handleScheduleForm serves GET and POST /giao-luu/moi (admin).
func (s *Service) handleScheduleForm(w http.ResponseWriter, r *http.Request) error {
	d := scheduleData{Page: web.NewPage(r, "live.schedule_title")}
	if r.Method == http.MethodGet {
		d.Form.DurationMinutes = 120
		return s.pages.Render(w, r, http.StatusOK, "schedule", d)
	}
	d.StartsAt, d.Leaders = r.PostFormValue("starts_at"), r.PostFormValue("leaders")
	d.Form = NewSession{Title: r.PostFormValue("title"), Description: r.PostFormValue("description")}
	d.Form.DurationMinutes, _ = strconv.Atoi(r.PostFormValue("duration_minutes"))
	if t, err := time.ParseInLocation("2006-01-02T15:04", d.StartsAt, i18n.Vietnam); err == nil {
		d.Form.StartsAt = t
	}
	d.Form.Leaders = append(d.Form.Leaders, strings.FieldsFunc(d.Leaders, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })...)
	u, _ := identity.From(r.Context())
	ss, err := s.ScheduleSession(r.Context(), u, d.Form)
	if err != nil {
		if e := apperr.As(err); e.Kind == apperr.Invalid {
			d.FormError = e.Message
			return s.pages.Render(w, r, http.StatusUnprocessableEntity, "schedule", d)
		}
		return err
	}
	http.Redirect(w, r, ss.URL, http.StatusSeeOther)
	return nil
}

type chatPageData struct {
	livePage
	Conversation *Conversation
	Messages     []Message
	LastSeq      int64
	FormError    string
	// Offline: no operator is on the console, or none took the waiting
	// conversation in time; the page offers the offline question form.
	Offline      bool
	Form         NewConversation // the start form as sent, when it is shown again with an error
	OfflineForm  OfflineQuestion
	OfflineError string
	Left         string // tracking code of the offline question just left
	DutyHours    string
	NeedsJS      bool // the start form came from a browser without JavaScript
}

func (s *Service) newChatPage(r *http.Request) chatPageData {
	d := chatPageData{livePage: newLivePage(r, "chat.title"), DutyHours: s.DutyHours()}
	d.Form.Name, d.OfflineForm.Contact = citizenDefaults(r)
	d.OfflineForm.Name = d.Form.Name
	if phone, err := contact.Phone(d.OfflineForm.Contact); err == nil {
		d.Form.Phone = phone // a citizen signed in by phone number
	}
	return d
}

// citizenConversation is the conversation the request's browser holds
// (by its token), if any.
func (s *Service) citizenConversation(r *http.Request) (*Conversation, error) {
	for _, cr := range convCredentials(r) {
		if ok, err := s.store.CheckConversationToken(r.Context(), cr.ID, cr.Token); err != nil {
			return nil, err
		} else if ok {
			c, err := s.store.FindConversationByID(r.Context(), cr.ID)
			if err != nil {
				return nil, err
			}
			return &c, nil
		}
	}
	return nil, nil
}

// handleChatPage serves GET /chat: the start form (or, with no operator on
// the console, the offline question form), or the citizen's conversation
// when the browser holds one.
func (s *Service) handleChatPage(w http.ResponseWriter, r *http.Request) error {
	d := s.newChatPage(r)
	if code := moderation.NormalizeCode(r.URL.Query().Get("left")); code != "" && moderation.CheckCode(code) == nil {
		d.Left = code
		return s.pages.Render(w, r, http.StatusOK, "chat", d)
	}
	c, err := s.citizenConversation(r)
	if err != nil {
		return err
	}
	if c != nil && !((c.Status == ConvClosed || c.Status == ConvOffline) && r.URL.Query().Get("new") != "") {
		if d.Messages, err = allMessages(r.Context(), s.store.pool, c.Room); err != nil {
			return err
		}
		if n := len(d.Messages); n > 0 {
			d.LastSeq = d.Messages[n-1].Seq
		}
		d.Conversation = c
		d.Offline = s.expired(*c)
		d.OfflineForm = OfflineQuestion{Question: c.Topic, Name: c.Name}
		return s.pages.Render(w, r, http.StatusOK, "chat", d)
	}
	d.Offline = s.OperatorsOnline(r.Context()) == 0
	return s.pages.Render(w, r, http.StatusOK, "chat", d)
}

// handleChatOpen serves POST /chat, the start form.
func (s *Service) handleChatOpen(w http.ResponseWriter, r *http.Request) error {
	consent := r.PostFormValue("consent") != ""
	n := NewConversation{Name: r.PostFormValue("name"), Topic: r.PostFormValue("topic"), Consent: &consent,
		Phone: r.PostFormValue("phone"), Notify: r.PostFormValue("notify") != "", CaseCode: r.PostFormValue("case_code")}
	if r.PostFormValue("js") != "1" {
		// Without the script the conversation could not be used: nothing
		// is opened (no ghost in the operators' queue); the ask form is
		// offered instead.
		d := s.newChatPage(r)
		d.NeedsJS, d.Form = true, n
		return s.pages.Render(w, r, http.StatusUnprocessableEntity, "chat", d)
	}
	if _, _, _, err := s.openConversation(w, r, n); err != nil {
		e := apperr.As(err)
		if e.Kind == apperr.Internal {
			return err
		}
		d := s.newChatPage(r)
		d.Form, d.FormError = n, e.Message
		if key := "chat.err." + e.Code; d.Tr(key) != key {
			d.FormError = d.Tr(key)
		}
		return s.pages.Render(w, r, http.StatusUnprocessableEntity, "chat", d)
	}
	http.Redirect(w, r, "/chat", http.StatusSeeOther)
	return nil
}

// handleChatOffline serves POST /chat/offline, the offline question form
// (it works without JavaScript): rate limited per address like opening a
// conversation; on success it redirects to /chat?left={code}.
func (s *Service) handleChatOffline(w http.ResponseWriter, r *http.Request) error {
	n := OfflineQuestion{Question: r.PostFormValue("question"), Name: r.PostFormValue("name"),
		Contact: r.PostFormValue("contact"), Consent: r.PostFormValue("consent") != "", IP: web.ClientIP(r),
		CaseCode: r.PostFormValue("case_code")}
	code, err := s.leaveOffline(r, n)
	if err != nil {
		e := apperr.As(err)
		if e.Kind == apperr.Internal {
			return err
		}
		d := s.newChatPage(r)
		d.Offline, d.OfflineForm, d.OfflineError = true, n, e.Message
		if key := "chat.err." + e.Code; d.Tr(key) != key {
			d.OfflineError = d.Tr(key)
		}
		status := http.StatusUnprocessableEntity
		if e.Kind == apperr.TooMany {
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds())+1))
		}
		return s.pages.Render(w, r, status, "chat", d)
	}
	http.Redirect(w, r, "/chat?left="+url.QueryEscape(code), http.StatusSeeOther)
	return nil
}

func (s *Service) leaveOffline(r *http.Request, n OfflineQuestion) (string, error) {
	if ok, retry, err := s.limiter.Allow(r.Context(), "lc:offline:"+n.IP, 10, 10*time.Minute); err == nil && !ok {
		return "", &apperr.Error{Kind: apperr.TooMany, Code: "rate_limited", Message: "too many questions from your address; try again later", RetryAfter: retry}
	}
	if err := n.Validate(); err != nil {
		return "", err
	}
	if err := s.checkCase(r.Context(), n.IP, n.CaseCode); err != nil {
		return "", err
	}
	if u, ok := identity.From(r.Context()); ok && u.Role == identity.RoleCitizen {
		n.CitizenID = &u.ID
	}
	c, err := s.citizenConversation(r)
	if err != nil {
		return "", err
	}
	if c != nil && c.Status == ConvWaiting {
		n.ConversationID, n.Language = c.ID, c.Language
	}
	return s.LeaveOfflineQuestion(r.Context(), n)
}

type consoleData struct {
	livePage
	Waiting []QueueItem
	Active  []Conversation
}

// handleConsolePage serves GET /chat/console (chat operators): the waiting queue,
// live, and the operator's conversations.
func (s *Service) handleConsolePage(w http.ResponseWriter, r *http.Request) error {
	d := consoleData{livePage: newLivePage(r, "chatdesk.title")}
	d.Wide = true
	var err error
	if d.Waiting, err = s.store.WaitingConversations(r.Context()); err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	if d.Active, err = s.store.ActiveConversations(r.Context(), u.ID); err != nil {
		return err
	}
	return s.pages.Render(w, r, http.StatusOK, "console", d)
}
