package livechat

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/ratelimit"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
	"github.com/go-chi/chi/v5"
)

// Frames a fuzz input may hold, separated by RS (0x1E, as in RFC 7464 JSON
// text sequences). $CONV, $TOKEN and $LIVE stand for a conversation, its
// token and a live room that exist, so the fuzzer can get past the checks.
const (
	frameSep      = "\x1e"
	maxFuzzFrames = 8
)

var (
	// serverFrameTypes are the frame types PROTOCOL.md lists.
	serverFrameTypes = map[string]bool{frameHello: true, frameJoined: true, frameLeft: true, frameMessage: true, frameAck: true,
		frameError: true, frameQueue: true, framePosition: true, framePresence: true, framePong: true, "typing": true}
	// fuzzCloseCodes are the close codes PROTOCOL.md lists.
	fuzzCloseCodes = map[websocket.StatusCode]bool{websocket.StatusGoingAway: true, websocket.StatusPolicyViolation: true,
		websocket.StatusMessageTooBig: true, websocket.StatusTryAgainLater: true, 4000: true, 4001: true, 4029: true}
)

// Anyone may open /ws and send anything. For any few frames sent by an
// anonymous socket: every frame the server sends back is a documented JSON
// frame, errors carry a code and a message, at most one error answers each
// frame, the socket still answers a ping afterwards (or closes with a
// documented code, 1009 only after a frame over 64 KB), and exactly the
// chat lines that were acknowledged were stored.
func FuzzClientFrames(f *testing.F) {
	f.Add(`{"type":"join","room":"$CONV","token":"$TOKEN"}`+frameSep+`{"type":"send","room":"$CONV","body":"Xin chào","client_id":"c1"}`, uint8(0))
	f.Add(`{"type":"join","room":"$LIVE","since":0}`+frameSep+`{"type":"send","room":"$LIVE","body":"x"}`+frameSep+`not json`, uint8(4))
	node, live := mustFuzzNode(f)
	var conv, token string
	execs := 0
	f.Fuzz(func(t *testing.T, input string, binaryMask uint8) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		// A fresh conversation now and then keeps the replay on join short.
		if execs%200 == 0 {
			conv, token = mustFuzzConversation(t, node)
		}
		execs++
		frames := strings.SplitN(input, frameSep, maxFuzzFrames+1)
		if len(frames) > maxFuzzFrames {
			frames = frames[:maxFuzzFrames]
		}
		before, _, err := node.svc.store.LastSeq(ctx, conv)
		if err != nil {
			t.Fatal(err)
		}
		ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(node.url, "http")+"/ws", nil)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer ws.CloseNow()
		ws.SetReadLimit(1 << 20)
		type read struct {
			data []byte
			err  error
		}
		reads := make(chan read, 64)
		go func() {
			for {
				_, data, err := ws.Read(ctx)
				reads <- read{data, err}
				if err != nil {
					return
				}
			}
		}()

		oversized, pongs := false, 1 // our own ping below
		for i, fr := range frames {
			fr = strings.NewReplacer("$CONV", conv, "$TOKEN", token, "$LIVE", live).Replace(fr)
			typ := websocket.MessageText
			if binaryMask&(1<<i) != 0 {
				typ = websocket.MessageBinary
			}
			oversized = oversized || len(fr) > hardReadLimit
			if isPing(typ, fr) {
				pongs++
			}
			if err := ws.Write(ctx, typ, []byte(fr)); err != nil {
				break // closed by the server: judged below
			}
		}
		_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`))

		errorsSeen, acked := 0, map[int64]bool{}
		for pongs > 0 {
			r := <-reads
			if r.err != nil {
				code := websocket.CloseStatus(r.err)
				switch {
				case code == -1:
					t.Fatalf("frames %q: no pong and no close frame: %v", frames, r.err)
				case !fuzzCloseCodes[code] || code == websocket.StatusMessageTooBig && !oversized:
					t.Fatalf("frames %q: closed with %d: %v", frames, code, r.err)
				}
				break
			}
			var sf struct {
				Type, Code, Message, Room string
				Seq                       int64
			}
			if err := json.Unmarshal(r.data, &sf); err != nil || !serverFrameTypes[sf.Type] {
				t.Fatalf("frames %q: the server sent %q", frames, r.data)
			}
			switch sf.Type {
			case frameError:
				if errorsSeen++; sf.Code == "" || sf.Message == "" || errorsSeen > len(frames) {
					t.Fatalf("frames %q: error frame %q (error %d for %d frames)", frames, r.data, errorsSeen, len(frames))
				}
			case frameAck:
				if sf.Room == conv && sf.Seq > before {
					acked[sf.Seq] = true
				}
			case framePong:
				pongs--
			}
		}

		after, _, err := node.svc.store.LastSeq(ctx, conv)
		if err != nil {
			t.Fatal(err)
		}
		if int(after-before) != len(acked) {
			t.Fatalf("frames %q: %d messages stored, %d acknowledged", frames, after-before, len(acked))
		}
		for seq := range acked {
			if seq > after {
				t.Fatalf("frames %q: acknowledged seq %d, last stored %d", frames, seq, after)
			}
		}
	})
}

// isPing says whether the server answers frame with a pong, by the same
// decoding as Conn.handle.
func isPing(typ websocket.MessageType, frame string) bool {
	var f clientFrame
	return typ == websocket.MessageText && len(frame) <= MaxFrameBytes && utf8.ValidString(frame) &&
		json.Unmarshal([]byte(frame), &f) == nil && f.Type == framePing
}

func mustFuzzConversation(t *testing.T, n *testNode) (room, token string) {
	t.Helper()
	consent := true
	c, token, _, err := n.svc.OpenConversation(context.Background(), NewConversation{Name: "Fuzz", Consent: &consent})
	if err != nil {
		t.Fatal(err)
	}
	return c.Room, token
}

// mustFuzzNode serves one livechat node for the whole fuzzing run, with a
// live room, and rate limits the fuzzer does not reach.
func mustFuzzNode(tb testing.TB) (n *testNode, live string) {
	tb.Helper()
	pool := testenv.NewDB(tb)
	// Not testenv.Logger: F may not log once fuzzing runs.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := New(Deps{Pool: pool, Broker: broker.NewMemory(), Limiter: ratelimit.NewMemory(), Queue: moderation.NewService(pool, time.Minute, log), Log: log,
		Options: Options{SyncInterval: 200 * time.Millisecond, FramesPerSecond: 1e6, FrameBurst: 1e6, SendsPerMinutePerIP: 1 << 30}})
	if err != nil {
		tb.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(i18n.Middleware)
	r.Group(svc.Routes)
	srv := httptest.NewServer(r)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		svc.Shutdown(ctx)
		srv.Close()
	})
	ctx := context.Background()
	var id int64
	if err := pool.QueryRow(ctx, `INSERT INTO live_sessions (title, starts_at, ends_at)
		VALUES ('fuzz', now() - interval '1 minute', now() + interval '1 day') RETURNING id`).Scan(&id); err != nil {
		tb.Fatal(err)
	}
	if err := createRoom(ctx, pool, LiveRoom(id)); err != nil {
		tb.Fatal(err)
	}
	return &testNode{svc: svc, url: srv.URL}, LiveRoom(id)
}
