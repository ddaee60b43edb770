// Command sipload is the hotline's load generator: many SIP calls with real
// RTP on loopback, measuring concurrent calls held with playback and
// recording, the jitter of the server's 20 ms RTP clock as received, lost
// packets, and call set-ups per second.
//
//	go run ./cmd/sipload -embedded -mode hold -calls 250 -rate 25 -hold 60s
//	go run ./cmd/sipload -embedded -mode setup -calls 2000 -concurrency 64
//	go run ./cmd/sipload -serve -target 127.0.0.1:5070        # server only (another process)
//	go run ./cmd/sipload -target 127.0.0.1:5070 -mode hold …  # load only
//
// It only ever sends to loopback addresses, and every run is bounded by
// -calls (at most 2000) and -timeout (at most 15 minutes).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/emiago/sipgo/sip"
)

type options struct {
	target      string
	number      string
	mode        string
	calls       int
	rate        float64
	hold        time.Duration
	concurrency int
	timeout     time.Duration
	serve       bool
	embedded    bool
	dataDir     string
	agents      string
	cpuProfile  string
}

func main() {
	var o options
	flag.StringVar(&o.target, "target", "127.0.0.1:5070", "hotline SIP address (loopback only)")
	flag.StringVar(&o.number, "number", "1022", "hotline number to dial")
	flag.StringVar(&o.mode, "mode", "hold", "hold: calls held with playback and recording; setup: set-ups per second")
	flag.IntVar(&o.calls, "calls", 250, "number of calls (max 2000)")
	flag.Float64Var(&o.rate, "rate", 25, "new calls per second (hold mode)")
	flag.DurationVar(&o.hold, "hold", 60*time.Second, "how long each call is held (hold mode)")
	flag.IntVar(&o.concurrency, "concurrency", 64, "calls being set up at once (setup mode)")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "stop everything after this (max 15m)")
	flag.BoolVar(&o.serve, "serve", false, "run only a stand-alone hotline server (memory store) at -target")
	flag.BoolVar(&o.embedded, "embedded", false, "start a stand-alone hotline server in this process on a free port")
	flag.StringVar(&o.dataDir, "data", "", "recordings directory for -serve/-embedded (default: a temp dir)")
	flag.StringVar(&o.agents, "agents", "", "SIP agents for -serve, login:password,… (e.g. to try baresip)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "with -serve: write the server's CPU profile to this file")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "sipload:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.calls < 1 || o.calls > 2000 || o.timeout <= 0 || o.timeout > 15*time.Minute {
		return errors.New("-calls must be 1-2000 and -timeout at most 15m")
	}
	host, _, err := net.SplitHostPort(o.target)
	if err != nil {
		return err
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		return fmt.Errorf("target %s is not a loopback address; sipload only loads this machine", o.target)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	if o.serve || o.embedded {
		srv, err := startServer(o)
		if err != nil {
			return err
		}
		if o.serve {
			if o.cpuProfile != "" {
				f, err := os.Create(o.cpuProfile)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
			fmt.Printf("hotline serving on %s (UDP and TCP); Ctrl-C to stop\n", srv.Addr())
			err := srv.Serve(ctx)
			printServerStats(srv)
			return err
		}
		o.target = srv.Addr()
		sctx, scancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(sctx) }()
		defer func() { scancel(); <-done; printServerStats(srv) }()
	}
	g, err := newGenerator(o)
	if err != nil {
		return err
	}
	defer g.close()
	fmt.Printf("sipload: %s mode, %d calls to %s@%s, GOMAXPROCS=%d, %d CPUs\n", o.mode, o.calls, o.number, o.target, runtime.GOMAXPROCS(0), runtime.NumCPU())
	if o.mode == "setup" {
		return g.runSetup(ctx)
	}
	return g.runHold(ctx)
}

func startServer(o options) (*callcenter.Standalone, error) {
	cfg := callcenter.DefaultConfig()
	cfg.SIPAddr = o.target
	if o.embedded {
		cfg.SIPAddr = "127.0.0.1:0"
	}
	cfg.HotlineNumbers = []string{o.number}
	cfg.DataDir = o.dataDir
	if cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "sipload-")
		if err != nil {
			return nil, err
		}
		cfg.DataDir = dir
	}
	cfg.MaxCalls = 2100
	// Every call comes from 127.0.0.1: no per-source rate limit or call cap.
	cfg.InviteRate, cfg.InviteBurst = 5000, 5000
	cfg.TrustedSources = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	cfg.VoicemailMax = 15 * time.Minute
	cfg.RTPPortMin, cfg.RTPPortMax = 20000, 29998
	cfg.Hours, _ = callcenter.ParseHours("always", "", time.UTC)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("SIPLOAD_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	sip.SetDefaultLogger(log)
	store := callcenter.NewMemoryStore()
	for _, a := range strings.Split(o.agents, ",") {
		if login, pw, ok := strings.Cut(a, ":"); ok {
			store.AddAgent(login, pw)
		}
	}
	srv, err := callcenter.NewStandalone(cfg, store, log, nil)
	if err != nil {
		return nil, err
	}
	if _, err := srv.Listen(); err != nil {
		return nil, err
	}
	return srv, nil
}

func printServerStats(srv *callcenter.Standalone) {
	tickets, cdrs := srv.Store.Snapshot()
	var rx, lost, tx uint64
	outcomes := map[string]int{}
	for _, c := range cdrs {
		rx += c.RTPReceived
		lost += c.RTPLost
		tx += c.RTPSent
		outcomes[c.Outcome]++
	}
	fmt.Printf("server: %d CDRs %v, %d tickets; RTP received %d, lost %d (%.4f%%), sent %d\n",
		len(cdrs), outcomes, len(tickets), rx, lost, 100*float64(lost)/math.Max(1, float64(rx+lost)), tx)
}
