package callcenter

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/blob"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) {
	if os.Getenv(fdChildEnv) == "1" {
		// The descriptor-limited server process of
		// TestSIPSurvivesDescriptorExhaustion keeps calls in memory: it
		// needs no PostgreSQL or Redis, and starting them (initdb,
		// migrations) on a loaded machine outlasted the parent's wait.
		os.Exit(m.Run())
	}
	setTestParallel()
	testenv.Main(m)
}

// pgCenter is the whole hotline on a fresh database.
type pgCenter struct {
	*Center
	pool  *pgxpool.Pool
	mod   *moderation.Service
	addr  string
	steps *steps
	rec   *testServer // its recordings (waitRecorded)
	users map[string]*identity.User
}

func startPGCenter(t *testing.T, setup ...func(*pgxpool.Pool, *moderation.Service)) *pgCenter {
	t.Helper()
	return startPGCenterWith(t, nil, setup...)
}

// startPGCenterWith is startPGCenter with the test config changed by edit.
func startPGCenterWith(t *testing.T, edit func(*Config), setup ...func(*pgxpool.Pool, *moderation.Service)) *pgCenter {
	t.Helper()
	pool := testenv.NewDB(t)
	mod := moderation.NewService(pool, time.Minute, testLog())
	for _, f := range setup { // before any call can reach the service
		f(pool, mod)
	}
	cfg := testConfig(t)
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(Deps{Config: cfg, Pool: pool, Moderation: mod, Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	pc := &pgCenter{Center: c, pool: pool, mod: mod, users: map[string]*identity.User{}}
	ts := &testServer{e: c.engine}
	pc.steps = ts.installSteps()
	ts.installRecordings()
	pc.rec = ts
	if err := c.engine.listen(); err != nil {
		t.Fatal(err)
	}
	pc.addr = "127.0.0.1:" + strconv.Itoa(c.engine.sipPort)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.engine.serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	// Rows as written by hand, not by the CLI: dan, a citizen, has a SIP
	// secret and the agent flag, and must still not be an agent.
	for _, u := range []struct{ login, role, sipSecret string }{
		{"lan", "moderator", "lan-sip-secret"}, {"hoa", "leader", ""}, {"admin", "admin", ""}, {"dan", "citizen", "dan-sip-secret"},
	} {
		var ha1 *string
		if u.sipSecret != "" {
			h := HA1(u.login, u.sipSecret)
			ha1 = &h
		}
		var id int64
		if err := pool.QueryRow(context.Background(), `INSERT INTO users (login, role, password_hash, sip_agent, sip_ha1) VALUES ($1, $2, 'x', $3, $4) RETURNING id`,
			u.login, u.role, ha1 != nil, ha1).Scan(&id); err != nil {
			t.Fatal(err)
		}
		pc.users[u.login] = &identity.User{ID: id, Login: u.login, Role: u.role}
	}
	return pc
}

// blob reads a recording from the hotline's blob store (PostgreSQL here).
func (pc *pgCenter) blob(t *testing.T, key string) []byte {
	t.Helper()
	b, err := blob.ReadAll(context.Background(), pc.cfg.blobs, key, 64<<20)
	if err != nil {
		t.Fatalf("blob %s: %v", key, err)
	}
	return b
}

// do runs an API request as login ("" for anonymous).
func (pc *pgCenter) do(t *testing.T, login, method, path string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if body != nil && method != http.MethodPut || bytes.HasPrefix(body, []byte("{")) {
		req.Header.Set("Content-Type", "application/json")
	}
	return pc.serve(t, login, req)
}

// serve runs req through the hotline's routes as login ("" for anonymous).
func (pc *pgCenter) serve(t *testing.T, login string, req *http.Request) *httptest.ResponseRecorder {
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
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func TestHotlineWithPostgres(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	ctx := context.Background()

	// Agents authenticate against users.sip_ha1; citizens cannot be agents.
	agentPhone := newPhone(t, "lan")
	if code := agentPhone.register(t, pc.addr, "lan", "lan-sip-secret"); code != 200 {
		t.Errorf("moderator REGISTER: %d, want 200", code)
	}
	if code := agentPhone.register(t, pc.addr, "dan", "dan-sip-secret"); code != 403 {
		t.Errorf("citizen REGISTER: %d, want 403", code)
	}
	agentPhone.register(t, pc.addr, "lan", "") // leaves lan registered; unregister:
	pc.engine.agents.unregister("lan")

	// A voicemail becomes a ticket and a moderation item in one go.
	p := newPhone(t, "0912000111")
	p.mustCall(pc.addr, "1022", "udp")
	p.press("12")
	pc.steps.wait(t, p, "queue:no_agents")
	p.press("1")
	pc.steps.wait(t, p, "record")
	p.sendAudio(tone(440, 1, 8000))
	pc.rec.waitRecorded(t, 1200*time.Millisecond)
	p.press("#")
	if !p.waitHangup(10 * time.Second) {
		t.Fatal("no BYE after the ticket number")
	}

	var ticketID, itemID int64
	var number, recPath string
	if err := pc.pool.QueryRow(ctx, `SELECT id, number, item_id, recording_path FROM hotline_tickets`).Scan(&ticketID, &number, &itemID, &recPath); err != nil {
		t.Fatal(err)
	}
	item, err := moderation.NewStore(pc.pool).FindItemByID(ctx, itemID)
	if err != nil {
		t.Fatal(err)
	}
	if item.Source != moderation.SourceHotlineTicket || item.TrackingCode != number || item.Ref != strconv.FormatInt(ticketID, 10) ||
		item.Contact != "+84912000111" || item.Language != "vi" || item.RecordingURL != recordingURL(ticketID) || item.Meta["consent"] != "dtmf:1" {
		t.Errorf("moderation item = %+v", item)
	}
	deadline := time.Now().Add(5 * time.Second)
	var outcome string
	for time.Now().Before(deadline) {
		if pc.pool.QueryRow(ctx, `SELECT outcome FROM hotline_calls WHERE ticket_id = $1`, ticketID).Scan(&outcome) == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if outcome != OutcomeVoicemail {
		t.Errorf("CDR outcome %q, want voicemail", outcome)
	}

	// Recording: moderators listen; leaders and anonymous users may not.
	w := pc.do(t, "lan", "GET", recordingURL(ticketID), nil)
	want := pc.blob(t, recPath)
	if w.Code != 200 || w.Header().Get("Content-Type") != "audio/wav" || !bytes.Equal(w.Body.Bytes(), want) || len(want) < 8000 {
		t.Errorf("recording: %d %s, %d bytes (file %d)", w.Code, w.Header().Get("Content-Type"), w.Body.Len(), len(want))
	}
	if w := pc.do(t, "hoa", "GET", recordingURL(ticketID), nil); w.Code != 403 {
		t.Errorf("leader recording: %d, want 403", w.Code)
	}
	if w := pc.do(t, "", "GET", recordingURL(ticketID), nil); w.Code != 401 {
		t.Errorf("anonymous recording: %d, want 401", w.Code)
	}

	// The moderator answers: a callback task appears, and is marked done once.
	lan := pc.users["lan"]
	if _, err := pc.mod.Act(ctx, lan, itemID, moderation.ActionClaim, moderation.ActionInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.mod.Act(ctx, lan, itemID, moderation.ActionAnswer, moderation.ActionInput{Body: "Xã sẽ đo đạc lại vào thứ Hai."}); err != nil {
		t.Fatal(err)
	}
	var list struct{ Callbacks []Callback }
	w = pc.do(t, "lan", "GET", "/api/v1/hotline/callbacks?status=open", nil)
	json.Unmarshal(w.Body.Bytes(), &list)
	if w.Code != 200 || len(list.Callbacks) != 1 || list.Callbacks[0].Answer != "Xã sẽ đo đạc lại vào thứ Hai." || list.Callbacks[0].Caller != "+84912000111" || list.Callbacks[0].TicketNumber != number {
		t.Fatalf("callbacks: %d %s", w.Code, w.Body)
	}
	w = pc.do(t, "hoa", "GET", "/api/v1/hotline/callbacks", nil)
	json.Unmarshal(w.Body.Bytes(), &list)
	if len(list.Callbacks) != 1 || list.Callbacks[0].Caller == "+84912000111" {
		t.Errorf("leader sees caller %q unmasked", list.Callbacks[0].Caller)
	}
	cbPath := "/api/v1/hotline/callbacks/" + strconv.FormatInt(list.Callbacks[0].ID, 10) + "/done"
	if w := pc.do(t, "lan", "POST", cbPath, []byte(`{"note":"đã gọi lại"}`)); w.Code != 200 {
		t.Errorf("mark done: %d %s", w.Code, w.Body)
	}
	if w := pc.do(t, "lan", "POST", cbPath, nil); w.Code != 409 {
		t.Errorf("mark done twice: %d, want 409", w.Code)
	}
	if w := pc.do(t, "lan", "GET", "/api/v1/hotline/callbacks?status=open", nil); !bytes.Contains(w.Body.Bytes(), []byte(`"callbacks":[]`)) {
		t.Errorf("open callbacks after done: %s", w.Body)
	}

	// CDR list.
	var calls struct {
		Calls []CDR
		Total int
	}
	w = pc.do(t, "lan", "GET", "/api/v1/hotline/calls?outcome=voicemail", nil)
	json.Unmarshal(w.Body.Bytes(), &calls)
	if w.Code != 200 || calls.Total != 1 || len(calls.Calls) != 1 || calls.Calls[0].TicketID == nil || len(calls.Calls[0].IVRPath) < 5 {
		t.Errorf("calls: %d %s", w.Code, w.Body)
	}
	if w := pc.do(t, "lan", "GET", "/api/v1/hotline/calls?outcome=bogus", nil); w.Code != 400 {
		t.Errorf("bad outcome filter: %d", w.Code)
	}
}

func TestMenuAdminAPI(t *testing.T) {
	t.Parallel()
	pc := startPGCenter(t)
	w := pc.do(t, "admin", "GET", "/api/v1/hotline/menu", nil)
	var m Menu
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != 200 || len(m.Languages) != 2 || len(m.Topics) != 3 {
		t.Fatalf("GET menu: %d %s", w.Code, w.Body)
	}
	if w := pc.do(t, "lan", "GET", "/api/v1/hotline/menu", nil); w.Code != 403 {
		t.Errorf("moderator GET menu: %d, want 403", w.Code)
	}
	m.Topics = append(m.Topics, TopicOption{Digit: "4", Key: "health", Names: map[string]string{"vi": "Y tế"}, Route: RouteVoicemail})
	body, _ := json.Marshal(m)
	if w := pc.do(t, "admin", "PUT", "/api/v1/hotline/menu", body); w.Code != 200 {
		t.Fatalf("PUT menu: %d %s", w.Code, w.Body)
	}
	got, err := pc.store.Menu(context.Background())
	if err != nil || len(got.Topics) != 4 || got.Topics[3].Key != "health" {
		t.Errorf("stored menu: %+v %v", got, err)
	}
	m.Topics[3].Digit = "1" // duplicate key
	body, _ = json.Marshal(m)
	if w := pc.do(t, "admin", "PUT", "/api/v1/hotline/menu", body); w.Code != 400 || !bytes.Contains(w.Body.Bytes(), []byte("invalid_menu")) {
		t.Errorf("invalid menu: %d %s", w.Code, w.Body)
	}

	// The new topic is live for the next call: 4 goes straight to voicemail.
	p := newPhone(t, "0900")
	p.mustCall(pc.addr, "1022", "udp")
	p.press("14")
	pc.steps.wait(t, p, "topic:4:health")

	if w := pc.do(t, "admin", "PUT", "/api/v1/hotline/prompts/vi/greeting", []byte("not a wav")); w.Code != 400 {
		t.Errorf("bad prompt upload: %d", w.Code)
	}
	if w := pc.do(t, "admin", "PUT", "/api/v1/hotline/prompts/vi/greeting", EncodeWAV(tone(500, 0.3, 5000))); w.Code != 204 {
		t.Errorf("prompt upload: %d %s", w.Code, w.Body)
	}
	if got := pc.engine.prompts.Get("vi", PromptGreeting); len(got) != 2400 {
		t.Errorf("uploaded prompt not in use: %d samples", len(got))
	}
}
