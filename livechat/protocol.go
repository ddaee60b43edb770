package livechat

import (
	"encoding/json"
	"time"
)

// The WebSocket protocol, frame by frame, is written down in PROTOCOL.md.
// Every frame is one JSON object in one text message.

// Client → server frame types.
const (
	frameJoin   = "join"
	frameSend   = "send"
	frameLeave  = "leave"
	frameTyping = "typing"
	framePing   = "ping"
)

// Server → client frame types.
const (
	frameHello    = "hello"
	frameJoined   = "joined"
	frameHistory  = "history"
	frameLeft     = "left"
	frameMessage  = "message"
	frameAck      = "ack"
	frameError    = "error"
	frameQueue    = "queue"
	framePosition = "position"
	framePresence = "presence"
	framePong     = "pong"
	// frameOffline tells a waiting citizen that no operator took the
	// conversation in time: the page offers the offline question form.
	frameOffline = "offline"
)

// Limits of the protocol.
const (
	// MaxFrameBytes is the largest frame a client may send; a larger one
	// gets an error frame and is dropped. Beyond hardReadLimit the socket is
	// closed with 1009, since reading it would waste memory.
	MaxFrameBytes = 8 << 10
	hardReadLimit = 64 << 10
	// MaxBodyRunes bounds a chat line.
	MaxBodyRunes = 2000
	// maxClientID bounds the client's idempotency key.
	maxClientID = 64
	// replayPage is how many stored messages a node's own catch-up (gap
	// fill, transcripts) reads per query; clients get pages of
	// historyPageMessages (conn_join.go).
	replayPage = 500
)

// clientFrame is every field any client frame may carry.
type clientFrame struct {
	Type     string `json:"type"`
	Room     string `json:"room"`
	Since    *int64 `json:"since"`
	Body     string `json:"body"`
	ClientID string `json:"client_id"`
	// Token is the conversation token, for clients that cannot send the
	// conversation cookie (apps); browsers need not set it.
	Token string `json:"token"`
}

// Message is a stored message as clients receive it.
type Message struct {
	Type       string          `json:"type"` // always "message"
	Room       string          `json:"room"`
	Seq        int64           `json:"seq"`
	Kind       string          `json:"kind"`
	Body       string          `json:"body"`
	Author     string          `json:"author"`
	AuthorRole string          `json:"author_role,omitempty"`
	At         time.Time       `json:"at"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// Message kinds.
const (
	KindText     = "text"     // a chat line
	KindAccepted = "accepted" // an operator took the conversation
	KindClosed   = "closed"   // the conversation ended
	KindQuestion = "question" // an approved live question (data: id, position)
	KindAnswer   = "answer"   // a leader's answer (data: question_id)
	KindOrder    = "order"    // the running order changed (data: question_ids)
	KindEnded    = "ended"    // the live session ended
)

type ackFrame struct {
	Type     string `json:"type"`
	Room     string `json:"room"`
	ClientID string `json:"client_id"`
	Seq      int64  `json:"seq"`
}

type errorFrame struct {
	Type     string `json:"type"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Room     string `json:"room,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	// RetryAfter is how many seconds a rate_limited client should wait.
	RetryAfter int `json:"retry_after,omitempty"`
}

type joinedFrame struct {
	Type    string `json:"type"`
	Room    string `json:"room"`
	Seq     int64  `json:"seq"` // the last seq replayed: live messages follow from seq+1
	Viewers int    `json:"viewers"`
}

// historyFrame ends a page of history that is not the end: the socket has
// not joined; a join with since = Seq brings the next page.
type historyFrame struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Seq  int64  `json:"seq"` // the last seq of this page
	More bool   `json:"more"`
}

type roomFrame struct {
	Type string `json:"type"`
	Room string `json:"room"`
}

type helloFrame struct {
	Type string `json:"type"`
	User string `json:"user,omitempty"`
	Role string `json:"role,omitempty"`
}

// event is a transient frame (typing, presence, queue, position): not
// stored, no seq, lost if the client is not connected.
type event struct {
	Type     string `json:"type"`
	Room     string `json:"room,omitempty"`
	Author   string `json:"author,omitempty"`
	Viewers  *int   `json:"viewers,omitempty"`
	Position *int   `json:"position,omitempty"`
}

// queueFrame is the moderators' queue of waiting conversations.
type queueFrame struct {
	Type    string      `json:"type"`
	Room    string      `json:"room"`
	Waiting []QueueItem `json:"waiting"`
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own frame types are marshalled
	}
	return b
}

func errFrame(code, msg, room, clientID string) []byte {
	return mustJSON(errorFrame{Type: frameError, Code: code, Message: msg, Room: room, ClientID: clientID})
}
