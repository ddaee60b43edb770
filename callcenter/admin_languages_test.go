package callcenter

import (
	"bytes"
	"github.com/jackc/pgx/v5"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/identity"
	"github.com/go-chi/chi/v5"
)

// page runs a browser-style request (form or multipart body) as login.
func (pc *pgCenter) page(t *testing.T, login, method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if u := pc.users[login]; u != nil {
				req = req.WithContext(identity.With(req.Context(), u))
			}
			next.ServeHTTP(w, req)
		})
	})
	r.Group(pc.Routes)
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func uploadForm(t *testing.T, lang, name string, wav []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("lang", lang)
	mw.WriteField("name", name)
	if wav != nil {
		fw, _ := mw.CreateFormFile("wav", "ghi-am.wav")
		fw.Write(wav)
	}
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// noInline: the pages run under a CSP without 'unsafe-inline'.
func noInline(t *testing.T, body string) {
	t.Helper()
	for _, bad := range []string{"<script", "style=", "<style", "onclick=", "onchange="} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains %q (inline script or style)", bad)
		}
	}
}

func TestAdminPromptsPage(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)

	w := pc.page(t, "admin", "GET", "/admin/hotline/prompts", "", nil)
	body := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("GET prompts page: %d %s", w.Code, body)
	}
	noInline(t, body)
	for _, want := range []string{
		`id="lang-hmn"`, `<audio controls preload="none" src="/api/v1/hotline/prompts/hmn/greeting">`,
		`class="prompt missing" id="prompt-hmn-greeting"`, // missing: plays Vietnamese
		`class="prompt" id="prompt-hmn-language_menu"`,    // shipped
		`enctype="multipart/form-data"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("prompts page lacks %s", want)
		}
	}
	if w := pc.page(t, "lan", "GET", "/admin/hotline/prompts", "", nil); w.Code != 403 {
		t.Errorf("moderator: %d, want 403", w.Code)
	}

	// Upload without JavaScript: a 16 kHz 24-bit stereo file, then the row is no longer missing.
	ct, form := uploadForm(t, "hmn", PromptGreeting, testWAV(wavPCM, false, 16000, 24, sineFrames(800, 0.5, 0.6, 16000, 2)))
	w = pc.page(t, "admin", "POST", "/admin/hotline/prompts", ct, form)
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/admin/hotline/prompts?saved=") {
		t.Fatalf("upload: %d %s", w.Code, w.Header().Get("Location"))
	}
	body = pc.page(t, "admin", "GET", w.Header().Get("Location"), "", nil).Body.String()
	if !strings.Contains(body, `class="prompt" id="prompt-hmn-greeting"`) || !strings.Contains(body, `role="status"`) {
		t.Errorf("after upload the greeting is still missing or no confirmation shown")
	}
	if got := pc.engine.prompts.Get("hmn", PromptGreeting); len(got) != 4800 {
		t.Errorf("uploaded greeting: %d samples, want 4800", len(got))
	}

	// A refused file: the page again, with the reason, and nothing stored.
	before, _ := pc.store.PromptsVersion(t.Context())
	for name, f := range map[string][]byte{"not wav": []byte("ID3 mp3 bytes"), "no file": nil} {
		ct, form := uploadForm(t, "tay", PromptGreeting, f)
		w := pc.page(t, "admin", "POST", "/admin/hotline/prompts", ct, form)
		if w.Code != 400 || !strings.Contains(w.Body.String(), `id="form-error"`) || !strings.Contains(w.Body.String(), `id="lang-tay"`) {
			t.Errorf("%s: %d, want 400 with the page and the error", name, w.Code)
		}
	}
	if after, _ := pc.store.PromptsVersion(t.Context()); after != before {
		t.Error("a refused upload changed the prompts")
	}
	// The upload is in the admin audit log, by the admin; the refused ones are not.
	if got := adminAudits(t, pc, "hotline.prompt"); len(got) != 1 || got[0] != "admin hotline_prompt:hmn/greeting" {
		t.Errorf("prompt audit entries %q, want the one upload by admin", got)
	}
}

// adminAudits lists "actor target" of the admin audit entries of action.
func adminAudits(t *testing.T, pc *pgCenter, action string) []string {
	t.Helper()
	rows, err := pc.pool.Query(t.Context(), `SELECT actor_login || ' ' || target FROM admin_audit WHERE action = $1 ORDER BY id`, action)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestAdminLanguagesPage(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	const form = "application/x-www-form-urlencoded"
	w := pc.page(t, "admin", "GET", "/admin/hotline/languages", "", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `id="language-hmn"`) || !strings.Contains(w.Body.String(), `id="add-language"`) {
		t.Fatalf("languages page: %d", w.Code)
	}
	noInline(t, w.Body.String())

	add := url.Values{"code": {"nun"}, "name": {"Tiếng Nùng"}, "menu_key": {"8"}, "active": {"1"}}
	w = pc.page(t, "admin", "POST", "/admin/hotline/languages", form, []byte(add.Encode()))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("add: %d %s", w.Code, w.Body)
	}
	ls := pc.languages(t)
	if l := ls["nun"]; l.Name != "Tiếng Nùng" || l.MenuKey != "8" || !l.Active || l.Offered {
		t.Errorf("added language: %+v (active but not offered: no menu clip yet)", l)
	}
	// The edit form without the checkbox switches the language off.
	edit := url.Values{"code": {"nun"}, "name": {"Nùng"}, "menu_key": {"9"}}
	if w := pc.page(t, "admin", "POST", "/admin/hotline/languages", form, []byte(edit.Encode())); w.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d", w.Code)
	}
	if l := pc.languages(t)["nun"]; l.Name != "Nùng" || l.MenuKey != "9" || l.Active {
		t.Errorf("edited language: %+v", l)
	}
	// A taken key: the page again with the reason, the add form refilled.
	taken := url.Values{"code": {"gia"}, "name": {"Tiếng Giáy"}, "menu_key": {"1"}}
	w = pc.page(t, "admin", "POST", "/admin/hotline/languages", form, []byte(taken.Encode()))
	if w.Code != 409 || !strings.Contains(w.Body.String(), `id="form-error"`) || !strings.Contains(w.Body.String(), `value="Tiếng Giáy"`) {
		t.Errorf("taken key: %d", w.Code)
	}
	if _, ok := pc.languages(t)["gia"]; ok {
		t.Error("a refused language was stored")
	}
	// Both changes audited, with what was there before; the refused one not.
	if got := adminAudits(t, pc, "hotline.language"); len(got) != 2 || got[0] != "admin hotline_language:nun" || got[1] != got[0] {
		t.Errorf("language audit entries %q, want the add and the edit by admin", got)
	}
	var before []byte
	if err := pc.pool.QueryRow(t.Context(), `SELECT before::text FROM admin_audit WHERE action = 'hotline.language' ORDER BY id DESC LIMIT 1`).Scan(&before); err != nil || !strings.Contains(string(before), "Tiếng Nùng") {
		t.Errorf("the edit's audit entry keeps %s (%v), want the old name", before, err)
	}
}

// The desk names the caller's language as configured, so an operator
// calling back knows to find a H'Mông speaker.
func TestDeskShowsLanguageName(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	now := time.Now()
	if err := pc.store.CreateAbandonedCallback(t.Context(), AbandonedCall{CallID: "c-hmn", Caller: "+84912000888", Language: "hmn", Topic: "land", At: now, Due: now}); err != nil {
		t.Fatal(err)
	}
	w := pc.page(t, "lan", "GET", "/hotline", "", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `<span class="lang" data-code="hmn">Tiếng H&#39;Mông</span>`) {
		t.Errorf("desk: %d, the callback does not name its language", w.Code)
	}
}
