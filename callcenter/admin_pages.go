package callcenter

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
)

// maxTopics bounds the topic rows a form may post: one per key 0-9.
const maxTopics = 10

type topicsPage struct {
	web.Page
	Menu  Menu
	Rows  []TopicOption // the menu's topics, then one empty row to add one
	Flash string
	Error string
}

func (c *Center) flash(p web.Page, r *http.Request) string {
	if done := r.URL.Query().Get("done"); done == "saved" {
		return p.Tr("hotline.admin.saved")
	}
	return ""
}

// handleAdminTopics serves GET /admin/hotline/topics: the topic menu as
// one form, a row per topic and an empty one to add a topic.
func (c *Center) handleAdminTopics(w http.ResponseWriter, r *http.Request) error {
	m, err := c.store.Menu(r.Context())
	if err != nil {
		return err
	}
	p := topicsPage{Page: web.NewPage(r, "hotline.admin.topics_title"), Menu: m}
	p.Flash = c.flash(p.Page, r)
	p.Rows = append(append([]TopicOption{}, m.Topics...), TopicOption{Route: RouteAgent, Names: map[string]string{}})
	return c.render.Render(w, r, http.StatusOK, "admin_topics", p)
}

// topicsForm reads the rows of the topics form: row i has digit_i, key_i,
// name_<lang>_i, category_i, route_i and delete_i; a row without digit
// and key is skipped (the empty row left empty).
func topicsForm(r *http.Request, langs []LanguageOption) []TopicOption {
	var out []TopicOption
	for i := 0; i <= maxTopics; i++ {
		n := strconv.Itoa(i)
		digit, key := strings.TrimSpace(r.PostFormValue("digit_"+n)), strings.TrimSpace(r.PostFormValue("key_"+n))
		if digit == "" && key == "" || r.PostFormValue("delete_"+n) != "" {
			continue
		}
		t := TopicOption{Digit: digit, Key: key, Category: strings.TrimSpace(r.PostFormValue("category_" + n)),
			Route: r.PostFormValue("route_" + n), Names: map[string]string{}}
		for _, l := range langs {
			if v := strings.TrimSpace(r.PostFormValue("name_" + l.Code + "_" + n)); v != "" {
				t.Names[l.Code] = v
			}
		}
		out = append(out, t)
	}
	return out
}

// handleAdminTopicsSave serves POST /admin/hotline/topics. A menu that
// does not validate (duplicate keys, a missing key, a bad route) is shown
// again as typed, with nothing saved.
func (c *Center) handleAdminTopicsSave(w http.ResponseWriter, r *http.Request) error {
	m, err := c.store.Menu(r.Context())
	if err != nil {
		return err
	}
	topics := topicsForm(r, m.Languages)
	def := r.PostFormValue("default_topic")
	for _, t := range topics {
		if len(t.Category) > 64 || len(t.Key) > 64 || len(t.Names) > 0 && longName(t.Names) {
			err = apperr.Invalidf("invalid_menu", "a field is too long")
		}
	}
	if err == nil {
		_, err = c.store.SaveTopics(r.Context(), actor(r), topics, def)
	}
	if err != nil {
		if apperr.KindOf(err) != apperr.Invalid {
			return err
		}
		p := topicsPage{Page: web.NewPage(r, "hotline.admin.topics_title"), Menu: m}
		p.Error = p.Tr("hotline.admin.bad_menu", apperr.As(err).Message)
		p.Menu.DefaultTopic = def
		p.Rows = append(topics, TopicOption{Route: RouteAgent, Names: map[string]string{}})
		return c.render.Render(w, r, http.StatusUnprocessableEntity, "admin_topics", p)
	}
	http.Redirect(w, r, "/admin/hotline/topics?done=saved", http.StatusSeeOther)
	return nil
}

func longName(names map[string]string) bool {
	for _, v := range names {
		if len([]rune(v)) > 100 {
			return true
		}
	}
	return false
}

type hoursPage struct {
	web.Page
	Spec, Default string
	OpenNow       bool
	Flash, Error  string
}

// handleAdminHours serves GET /admin/hotline/hours.
func (c *Center) handleAdminHours(w http.ResponseWriter, r *http.Request) error {
	spec, _, err := moderation.Setting(r.Context(), c.store.pool, moderation.SettingHotlineHours)
	if err != nil {
		return err
	}
	p := hoursPage{Page: web.NewPage(r, "hotline.admin.hours_title"), Spec: spec, Default: c.defaultHoursSpec(), OpenNow: c.Hours().Open(time.Now())}
	p.Flash = c.flash(p.Page, r)
	return c.render.Render(w, r, http.StatusOK, "admin_hours", p)
}

func (c *Center) defaultHoursSpec() string {
	if c.cfg.HoursSpec != "" {
		return c.cfg.HoursSpec
	}
	return DefaultHours
}

// handleAdminHoursSave serves POST /admin/hotline/hours (empty: back to
// HOTLINE_HOURS); a schedule that does not parse changes nothing.
func (c *Center) handleAdminHoursSave(w http.ResponseWriter, r *http.Request) error {
	spec := strings.TrimSpace(r.PostFormValue("hours"))
	if len(spec) > 500 {
		spec = spec[:500]
	}
	if spec != "" {
		if _, err := ParseHours(spec, "", c.cfg.Hours.Loc); err != nil {
			p := hoursPage{Page: web.NewPage(r, "hotline.admin.hours_title"), Spec: spec, Default: c.defaultHoursSpec(), OpenNow: c.Hours().Open(time.Now())}
			p.Error = p.Tr("hotline.admin.bad_hours", err.Error())
			return c.render.Render(w, r, http.StatusUnprocessableEntity, "admin_hours", p)
		}
	}
	if err := c.store.SaveHours(r.Context(), actor(r), spec); err != nil {
		return err
	}
	if c.AfterSettings != nil {
		c.AfterSettings(r.Context())
	}
	http.Redirect(w, r, "/admin/hotline/hours?done=saved", http.StatusSeeOther)
	return nil
}
