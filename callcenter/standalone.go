package callcenter

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Standalone is the SIP engine on a MemoryStore, without PostgreSQL or
// HTTP: for the sipload benchmark and quick manual tests with a softphone.
// Nothing it records outlives the process (recordings stay on disk).
type Standalone struct {
	e     *engine
	Store *MemoryStore
}

// NewStandalone builds the engine; agents are the MemoryStore's (AddAgent).
// Recordings are files under cfg.DataDir at the path their ticket names.
func NewStandalone(cfg Config, store *MemoryStore, log *slog.Logger, reg prometheus.Registerer) (*Standalone, error) {
	if cfg.blobs == nil {
		cfg.blobs = dirBlobs{root: cfg.DataDir}
	}
	e, err := newEngine(cfg, engineDeps{store: store, dir: store, src: store, log: log, reg: reg})
	if err != nil {
		return nil, err
	}
	return &Standalone{e: e, Store: store}, nil
}

// Listen opens the SIP port and returns its port number.
func (s *Standalone) Listen() (int, error) {
	if err := s.e.listen(); err != nil {
		return 0, err
	}
	return s.e.sipPort, nil
}

// Serve runs until ctx is cancelled, then hangs up every call.
func (s *Standalone) Serve(ctx context.Context) error { return s.e.serve(ctx) }

// Addr is the SIP address after Listen.
func (s *Standalone) Addr() string { return s.e.udpAddr.String() }

// ActiveCalls is the number of calls in progress.
func (s *Standalone) ActiveCalls() int { return int(s.e.active.Load()) }

func (s *Standalone) String() string { return "hotline on port " + strconv.Itoa(s.e.sipPort) }
