package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/localserver"
)

// baresip runs Debian's baresip softphone with the given account line for
// at most secs seconds, executing the -e commands. The sndfile module
// writes what it hears and sends to dir/dump-*.wav.
func baresip(t *testing.T, account string, secs int, commands ...string) (cmd *exec.Cmd, dir string) {
	t.Helper()
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Fatal("this test needs Debian's baresip softphone: apt-get install -y baresip (make test installs it as root)")
	}
	dir = t.TempDir()
	port, err := localserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`sip_listen 127.0.0.1:%d
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module sndfile.so
module account.so
module menu.so
audio_source aufile,%s
snd_path %s
dtmf_mode rtpevent
`, port, writeTone(t, dir), dir)
	for name, content := range map[string]string{"config": config, "accounts": account + "\n", "contacts": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"-4", "-f", dir, "-t", fmt.Sprint(secs)}
	for _, c := range commands {
		args = append(args, "-e", c)
	}
	cmd = exec.Command(bin, args...)
	out, err := os.Create(filepath.Join(dir, "baresip.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(out.Name())
			t.Logf("baresip log:\n%s", log)
		}
	})
	return cmd, dir
}

// writeTone writes ten seconds of a 440 Hz tone, 8 kHz mono 16-bit, as the
// softphone's microphone.
func writeTone(t *testing.T, dir string) string {
	const rate, secs = 8000, 10
	pcm := make([]byte, rate*secs*2)
	for i := 0; i < rate*secs; i++ {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate))
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(v))
	}
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+len(pcm)))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(rate * 2), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(pcm)))
	b.Write(pcm)
	path := filepath.Join(dir, "tone.wav")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startHotlineNode starts a node whose hotline answers on a free loopback
// port at any hour, for the softphone tests.
func startHotlineNode(t *testing.T) (*node, int) {
	t.Helper()
	port, err := localserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	n := MustStartNode(t, "", withEnvFunc(func(env map[string]string) {
		env["DISABLE_SIP"] = "false"
		env["SIP_ADDR"] = fmt.Sprintf("127.0.0.1:%d", port)
		env["HOTLINE_HOURS"] = "always"
	}))
	return n, port
}

// TestBaresipAgentAndCaller: a real softphone registers as an agent with
// digest auth and its SIP secret (one with the web password does not), and a second one calls the
// hotline and is answered with audio it can decode.
func TestBaresipAgentAndCaller(t *testing.T) {
	t.Parallel()
	n, port := startHotlineNode(t)
	MustRun(t, n.DBURL, "", "seed")
	secret := mustCreateAgent(t, n, "agentlan", "agent-password")
	mustCreateAgent(t, n, "agentbad", "agent-password")
	_, _ = baresip(t, fmt.Sprintf("<sip:agentlan@127.0.0.1:%d;transport=udp>;auth_pass=%s;regint=60", port, secret), 20)
	// The web password is not the SIP secret.
	_, _ = baresip(t, fmt.Sprintf("<sip:agentbad@127.0.0.1:%d;transport=udp>;auth_pass=agent-password;regint=60", port), 20)
	m := newClient(t, n)
	m.MustLogin("agentlan", "agent-password")
	var agents struct{ Agents []struct{ Login string } }
	deadline := time.Now().Add(15 * time.Second)
	for {
		m.Do("GET", "/api/v1/hotline/agents", nil, &agents)
		if len(agents.Agents) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(agents.Agents) != 1 || agents.Agents[0].Login != "agentlan" {
		t.Fatalf("registered agents %+v, want agentlan alone", agents.Agents)
	}

	// A villager's softphone calls the hotline: answered by the IVR.
	caller, callerDir := baresip(t, "<sip:0912555666@127.0.0.1>;regint=0", 8, fmt.Sprintf("/dial sip:1022@127.0.0.1:%d", port))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- caller.Wait() }()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("baresip caller did not quit")
	}
	var calls struct {
		Calls []struct {
			Caller, Outcome string
			AnsweredAt      *time.Time `json:"answered_at"`
			RTPReceived     int        `json:"rtp_received"`
		}
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		m.Do("GET", "/api/v1/hotline/calls", nil, &calls)
		if len(calls.Calls) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(calls.Calls) != 1 || calls.Calls[0].Caller != "+84912555666" || calls.Calls[0].AnsweredAt == nil || calls.Calls[0].RTPReceived < 50 {
		t.Fatalf("call records %+v", calls.Calls)
	}
	// The softphone heard the greeting: its recording is not silence.
	dumps, _ := filepath.Glob(filepath.Join(callerDir, "dump-*-dec.wav"))
	if len(dumps) != 1 {
		all, _ := filepath.Glob(filepath.Join(callerDir, "*"))
		t.Fatalf("no recording of what the caller heard among %v", all)
	}
	heard, err := os.ReadFile(dumps[0])
	if err != nil || len(heard) < 44+8000 {
		t.Fatalf("%s: %d bytes, %v", dumps[0], len(heard), err)
	}
	var loud int
	for i := 44; i+1 < len(heard); i += 2 {
		if v := int16(binary.LittleEndian.Uint16(heard[i:])); v > 1000 || v < -1000 {
			loud++
		}
	}
	if loud < 1000 {
		t.Fatalf("the caller heard silence (%d loud samples in %d bytes)", loud, len(heard))
	}
}
