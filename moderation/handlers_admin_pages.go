package moderation

import (
	"net/http"
	"strings"

	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/go-chi/chi/v5"
)

type adminDepartmentsPage struct {
	adminPage
	Departments []Department
	New         Department // the create form as typed
	EditSlug    string     // the row whose edit failed
	Edit        Department
}

func (h *Handlers) renderDepartments(w http.ResponseWriter, r *http.Request, status int, p adminDepartmentsPage) error {
	var err error
	if p.Departments, err = h.svc.Store.FindDepartments(r.Context()); err != nil {
		return err
	}
	return h.render.Render(w, r, status, "admin_departments", p)
}

// handleAdminDepartments serves GET /admin/departments.
func (h *Handlers) handleAdminDepartments(w http.ResponseWriter, r *http.Request) error {
	return h.renderDepartments(w, r, http.StatusOK, adminDepartmentsPage{adminPage: newAdminPage(r, "admin.departments.title")})
}

func departmentForm(r *http.Request) Department {
	return Department{Slug: r.PostFormValue("slug"), Name: r.PostFormValue("name"), HandlesComplaints: r.PostFormValue("handles_complaints") != "",
		Email: r.PostFormValue("email")}
}

// handleAdminDepartmentCreate serves POST /admin/departments.
func (h *Handlers) handleAdminDepartmentCreate(w http.ResponseWriter, r *http.Request) error {
	u, _ := identity.From(r.Context())
	d := departmentForm(r)
	if err := h.svc.Store.CreateDepartment(r.Context(), u, d); err != nil {
		p := adminDepartmentsPage{adminPage: newAdminPage(r, "admin.departments.title"), New: d}
		if p.Error, err = formError(p.Page, err); err != nil {
			return err
		}
		return h.renderDepartments(w, r, http.StatusUnprocessableEntity, p)
	}
	return adminDone(w, r, "/admin/departments", "created")
}

// handleAdminDepartmentUpdate serves POST /admin/departments/{slug}.
func (h *Handlers) handleAdminDepartmentUpdate(w http.ResponseWriter, r *http.Request) error {
	u, _ := identity.From(r.Context())
	d := departmentForm(r)
	d.Slug = chi.URLParam(r, "slug")
	if err := h.svc.Store.UpdateDepartment(r.Context(), u, d); err != nil {
		p := adminDepartmentsPage{adminPage: newAdminPage(r, "admin.departments.title"), EditSlug: d.Slug, Edit: d}
		if p.Error, err = formError(p.Page, err); err != nil {
			return err
		}
		return h.renderDepartments(w, r, http.StatusUnprocessableEntity, p)
	}
	return adminDone(w, r, "/admin/departments", "saved")
}

type adminCannedPage struct {
	adminPage
	Canned []CannedAnswer
	New    CannedAnswer
	EditID int64
	Edit   CannedAnswer
}

func (h *Handlers) renderCanned(w http.ResponseWriter, r *http.Request, status int, p adminCannedPage) error {
	var err error
	if p.Canned, err = h.svc.Store.FindCannedAnswers(r.Context()); err != nil {
		return err
	}
	return h.render.Render(w, r, status, "admin_canned", p)
}

// handleAdminCanned serves GET /admin/canned.
func (h *Handlers) handleAdminCanned(w http.ResponseWriter, r *http.Request) error {
	return h.renderCanned(w, r, http.StatusOK, adminCannedPage{adminPage: newAdminPage(r, "admin.canned.title"), New: CannedAnswer{Language: "vi"}})
}

func cannedForm(r *http.Request) CannedAnswer {
	return CannedAnswer{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Language: r.PostFormValue("language")}
}

// handleAdminCannedCreate serves POST /admin/canned.
func (h *Handlers) handleAdminCannedCreate(w http.ResponseWriter, r *http.Request) error {
	u, _ := identity.From(r.Context())
	c := cannedForm(r)
	if _, err := h.svc.Store.AdminCreateCannedAnswer(r.Context(), u, c); err != nil {
		p := adminCannedPage{adminPage: newAdminPage(r, "admin.canned.title"), New: c}
		if p.Error, err = formError(p.Page, err); err != nil {
			return err
		}
		return h.renderCanned(w, r, http.StatusUnprocessableEntity, p)
	}
	return adminDone(w, r, "/admin/canned", "created")
}

// handleAdminCannedUpdate serves POST /admin/canned/{id}.
func (h *Handlers) handleAdminCannedUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id", "canned answer")
	if err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	c := cannedForm(r)
	c.ID = id
	if err := h.svc.Store.UpdateCannedAnswer(r.Context(), u, c); err != nil {
		p := adminCannedPage{adminPage: newAdminPage(r, "admin.canned.title"), EditID: id, Edit: c, New: CannedAnswer{Language: "vi"}}
		if p.Error, err = formError(p.Page, err); err != nil {
			return err
		}
		return h.renderCanned(w, r, http.StatusUnprocessableEntity, p)
	}
	return adminDone(w, r, "/admin/canned", "saved")
}

// handleAdminCannedDelete serves POST /admin/canned/{id}/delete.
func (h *Handlers) handleAdminCannedDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id", "canned answer")
	if err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	if err := h.svc.Store.DeleteCannedAnswer(r.Context(), u, id); err != nil {
		return err
	}
	return adminDone(w, r, "/admin/canned", "deleted")
}

type adminHolidaysPage struct {
	adminPage
	Holidays             []Holiday
	Day, Name, Kind      string // the form as typed
	Configured, Workdays string // from the environment, read-only here
}

func (h *Handlers) renderHolidays(w http.ResponseWriter, r *http.Request, status int, p adminHolidaysPage) error {
	var err error
	if p.Holidays, err = h.svc.Store.FindHolidays(r.Context()); err != nil {
		return err
	}
	p.Configured, p.Workdays = dateList(h.svc.SLA.Holidays), dateList(h.svc.SLA.Workdays)
	return h.render.Render(w, r, status, "admin_holidays", p)
}

// handleAdminHolidays serves GET /admin/holidays.
func (h *Handlers) handleAdminHolidays(w http.ResponseWriter, r *http.Request) error {
	return h.renderHolidays(w, r, http.StatusOK, adminHolidaysPage{adminPage: newAdminPage(r, "admin.holidays.title"), Kind: "holiday"})
}

// handleAdminHolidayCreate serves POST /admin/holidays.
func (h *Handlers) handleAdminHolidayCreate(w http.ResponseWriter, r *http.Request) error {
	u, _ := identity.From(r.Context())
	p := adminHolidaysPage{adminPage: newAdminPage(r, "admin.holidays.title"),
		Day: strings.TrimSpace(r.PostFormValue("day")), Name: strings.TrimSpace(r.PostFormValue("name")), Kind: r.PostFormValue("kind")}
	hd, err := ParseHoliday(p.Day, p.Name, p.Kind)
	if err == nil {
		err = h.svc.Store.AddHoliday(r.Context(), u, hd)
	}
	if err != nil {
		if p.Error, err = formError(p.Page, err); err != nil {
			return err
		}
		return h.renderHolidays(w, r, http.StatusUnprocessableEntity, p)
	}
	h.afterSettings(r.Context())
	return adminDone(w, r, "/admin/holidays", "created")
}

// handleAdminHolidayDelete serves POST /admin/holidays/{day}/delete.
func (h *Handlers) handleAdminHolidayDelete(w http.ResponseWriter, r *http.Request) error {
	u, _ := identity.From(r.Context())
	if err := h.svc.Store.DeleteHoliday(r.Context(), u, chi.URLParam(r, "day")); err != nil {
		return err
	}
	h.afterSettings(r.Context())
	return adminDone(w, r, "/admin/holidays", "deleted")
}

type adminSLAPage struct {
	adminPage
	Rules, Hours               string // the form: saved values, or as typed
	DefaultRules, DefaultHours string // the environment's
}

func formatRules(rules []SLARule) string {
	var parts []string
	for _, r := range rules {
		k := string(r.Source)
		if k == "" {
			k = "*"
		}
		if r.MinPriority != 0 {
			k += "@" + itoa(r.MinPriority)
		}
		parts = append(parts, k+"="+formatBudget(r.Budget))
	}
	return strings.Join(parts, ", ")
}

// handleAdminSLA serves GET /admin/sla: SLA rules and office hours.
func (h *Handlers) handleAdminSLA(w http.ResponseWriter, r *http.Request) error {
	p := adminSLAPage{adminPage: newAdminPage(r, "admin.sla.title"), DefaultRules: formatRules(h.svc.SLA.Rules), DefaultHours: formatHours(h.svc.SLA.hours())}
	var err error
	if p.Rules, _, err = Setting(r.Context(), h.svc.pool, SettingSLARules); err != nil {
		return err
	}
	if p.Hours, _, err = Setting(r.Context(), h.svc.pool, SettingOfficeHours); err != nil {
		return err
	}
	return h.render.Render(w, r, http.StatusOK, "admin_sla", p)
}

// handleAdminSLASave serves POST /admin/sla. Empty fields go back to the
// environment's values; a value that does not parse changes nothing.
func (h *Handlers) handleAdminSLASave(w http.ResponseWriter, r *http.Request) error {
	u, _ := identity.From(r.Context())
	p := adminSLAPage{adminPage: newAdminPage(r, "admin.sla.title"), DefaultRules: formatRules(h.svc.SLA.Rules), DefaultHours: formatHours(h.svc.SLA.hours()),
		Rules: strings.TrimSpace(r.PostFormValue("rules")), Hours: strings.TrimSpace(r.PostFormValue("hours"))}
	if p.Rules != "" {
		if _, err := ParseSLARules(p.Rules); err != nil {
			p.Error = p.Tr("admin.error.bad_sla_rules", err.Error())
		}
	}
	if p.Hours != "" && p.Error == "" {
		if _, err := ParseHours(p.Hours); err != nil {
			p.Error = p.Tr("admin.error.bad_office_hours", err.Error())
		}
	}
	if p.Error != "" {
		return h.render.Render(w, r, http.StatusUnprocessableEntity, "admin_sla", p)
	}
	if err := h.svc.Store.SaveSettings(r.Context(), u, map[string]string{SettingSLARules: p.Rules, SettingOfficeHours: p.Hours}); err != nil {
		return err
	}
	h.afterSettings(r.Context())
	return adminDone(w, r, "/admin/sla", "saved")
}

type adminRetentionPage struct {
	adminPage
	Days    string
	Default int
}

// handleAdminRetention serves GET /admin/retention.
func (h *Handlers) handleAdminRetention(w http.ResponseWriter, r *http.Request) error {
	p := adminRetentionPage{adminPage: newAdminPage(r, "admin.retention.title"), Default: h.Admin.RetentionDefault}
	var err error
	if p.Days, _, err = Setting(r.Context(), h.svc.pool, SettingRetentionDays); err != nil {
		return err
	}
	return h.render.Render(w, r, http.StatusOK, "admin_retention", p)
}

// handleAdminRetentionSave serves POST /admin/retention (empty: back to
// RETENTION_DAYS).
func (h *Handlers) handleAdminRetentionSave(w http.ResponseWriter, r *http.Request) error {
	u, _ := identity.From(r.Context())
	p := adminRetentionPage{adminPage: newAdminPage(r, "admin.retention.title"), Default: h.Admin.RetentionDefault,
		Days: strings.TrimSpace(r.PostFormValue("days"))}
	if p.Days != "" {
		n, err := ParseRetentionDays(p.Days)
		if err != nil {
			p.Error = p.Tr("admin.error.bad_retention")
			return h.render.Render(w, r, http.StatusUnprocessableEntity, "admin_retention", p)
		}
		p.Days = itoa(n)
	}
	if err := h.svc.Store.SaveSettings(r.Context(), u, map[string]string{SettingRetentionDays: p.Days}); err != nil {
		return err
	}
	h.afterSettings(r.Context())
	return adminDone(w, r, "/admin/retention", "saved")
}
