package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Centrifugo's JSON protocol joins the pushes queued for one client into a
// single frame, one per line: each must count.
func TestCountDeliveriesCentrifugoFrame(t *testing.T) {
	one := `{"push":{"channel":"loadws","pub":{"data":{"body":"t=1764680000000000000 xxxx"}}}}`
	cases := []struct {
		frame string
		want  int
	}{
		{one, 1},
		{one + "\n" + one + "\n" + one, 3},
		{`{"id":2,"subscribe":{}}`, 0},
		{`{}`, 0},
		// the node's own frame: one answer
		{`{"type":"answer","room":"r","answer":{"body":"t=1764680000000000000 xxxx"}}`, 1},
	}
	for _, c := range cases {
		if got := countDeliveries([]byte(c.frame)); got != c.want {
			t.Errorf("countDeliveries(%q) = %d, want %d", c.frame, got, c.want)
		}
	}
}

func TestCentrifugoPingAndJoin(t *testing.T) {
	if !isPing([]byte(`{}`)) || isPing([]byte(`{"push":{}}`)) || isPing(nil) {
		t.Error("isPing must match the empty object only")
	}
	lines := bytes.Split(centrifugoJoin("loadws"), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("join has %d commands, want connect and subscribe", len(lines))
	}
	var connect struct {
		ID      int             `json:"id"`
		Connect json.RawMessage `json:"connect"`
	}
	var sub struct {
		ID        int `json:"id"`
		Subscribe struct {
			Channel string `json:"channel"`
		} `json:"subscribe"`
	}
	if err := json.Unmarshal(lines[0], &connect); err != nil || connect.ID != 1 || connect.Connect == nil {
		t.Errorf("connect command %s: %+v %v", lines[0], connect, err)
	}
	if err := json.Unmarshal(lines[1], &sub); err != nil || sub.ID != 2 || sub.Subscribe.Channel != "loadws" {
		t.Errorf("subscribe command %s: %+v %v", lines[1], sub, err)
	}
}
