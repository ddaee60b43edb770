package livechat

import (
	"strconv"
	"strings"
)

// Room names. A conversation's room is conv:{id}, a live session's is
// live:{id}; "queue" is the moderators' live list of waiting conversations
// (events only, nothing stored).
const (
	roomConv  = "conv"
	roomLive  = "live"
	RoomQueue = "queue"
)

// RoomName is the name of a room.
type RoomName struct {
	Kind string // conv, live or queue
	ID   int64
}

func (r RoomName) String() string {
	if r.Kind == RoomQueue {
		return RoomQueue
	}
	return r.Kind + ":" + strconv.FormatInt(r.ID, 10)
}

// Stored reports whether the room's messages are stored and sequenced.
func (r RoomName) Stored() bool { return r.Kind == roomConv || r.Kind == roomLive }

// ConvRoom and LiveRoom name the rooms of a conversation and a session.
func ConvRoom(id int64) string { return roomConv + ":" + strconv.FormatInt(id, 10) }
func LiveRoom(id int64) string { return roomLive + ":" + strconv.FormatInt(id, 10) }

// ParseRoom parses a room name; ok is false for anything else.
func ParseRoom(s string) (RoomName, bool) {
	if s == RoomQueue {
		return RoomName{Kind: RoomQueue}, true
	}
	kind, id, found := strings.Cut(s, ":")
	if !found || (kind != roomConv && kind != roomLive) {
		return RoomName{}, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return RoomName{}, false
	}
	return RoomName{Kind: kind, ID: n}, true
}
