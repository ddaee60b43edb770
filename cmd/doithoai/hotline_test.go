package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/localserver"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// TestServeAnswersSIP: `serve` runs the hotline beside HTTP; a SIP client
// probing with OPTIONS (as load balancers do) gets 200 on UDP and TCP.
func TestServeAnswersSIP(t *testing.T) {
	t.Parallel()
	port, err := localserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	MustStartNode(t, "", func(env map[string]string) {
		env["DISABLE_SIP"] = "false"
		env["SIP_ADDR"] = addr
		env["RTP_PORT_MIN"], env["RTP_PORT_MAX"] = "0", "0"
	})
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("doithoai-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for _, transport := range []string{"udp", "tcp"} {
		var res *sip.Response
		deadline := time.Now().Add(10 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			req := sip.NewRequest(sip.OPTIONS, sip.Uri{User: "1022", Host: "127.0.0.1", Port: port, UriParams: sip.HeaderParams{{K: "transport", V: transport}}})
			res, err = client.Do(ctx, req)
			cancel()
			if err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond) // the SIP listener may still be starting
		}
		if err != nil {
			t.Fatalf("%s OPTIONS: %v", transport, err)
		}
		if res.StatusCode != 200 {
			t.Fatalf("%s OPTIONS: %d %s", transport, res.StatusCode, res.Reason)
		}
	}
}
