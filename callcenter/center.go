package callcenter

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"time"

	"github.com/doithoai/doithoai/internal/blob"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Deps is what the hotline needs from the program.
type Deps struct {
	Config     Config                // from the node's configuration (SIP_ADDR, HOTLINE_*, DATA_DIR …)
	Pool       *pgxpool.Pool         // tickets, callbacks, CDRs, menu, agents' HA1
	Moderation *moderation.Service   // tickets are enqueued here; answers come back as callbacks
	Log        *slog.Logger          //
	Metrics    prometheus.Registerer // the node's registry; nil: not exported
	Blobs      blob.Store            // recordings and spoken answers; nil: PostgreSQL (the blobs table)
}

// Center is the hotline: the SIP engine plus its HTTP API.
type Center struct {
	cfg    Config
	log    *slog.Logger
	store  *Store
	engine *engine
	render *web.Renderer
	// AfterSettings runs after an admin changed the hours on this node,
	// so the node applies them at once (set by the node; admin_hours.go).
	AfterSettings func(context.Context)
}

// New builds the hotline and registers its decision handler for
// hotline_ticket items with moderation. Nothing listens until Run.
func New(d Deps) (*Center, error) {
	if d.Pool == nil || d.Moderation == nil {
		return nil, errors.New("callcenter: Pool and Moderation are required")
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	cfg := d.Config.withDefaults()
	if d.Blobs != nil {
		cfg.blobs = d.Blobs
	}
	if cfg.blobs == nil {
		cfg.blobs = blob.NewPostgres(d.Pool)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	store := NewStore(d.Pool, d.Moderation)
	log := d.Log.With("component", "hotline")
	e, err := newEngine(cfg, engineDeps{store: store, dir: store, src: store, log: log, reg: d.Metrics, registry: pgRegistry{d.Pool}})
	if err != nil {
		return nil, err
	}
	rd, err := web.NewRenderer(templatesFS, "templates", template.FuncMap{"noteForm": newNoteForm})
	if err != nil {
		return nil, err
	}
	d.Moderation.RegisterHandler(moderation.SourceHotlineTicket, decisionHandler{hours: e.hours, now: time.Now, mod: d.Moderation})
	// Answers to questions asked by phone in a live dialogue are called back.
	d.Moderation.SetPhoneAnswerHandler(liveAnswerHandler{hours: e.hours, now: time.Now})
	return &Center{cfg: cfg, log: log, store: store, engine: e, render: rd}, nil
}

// Run serves SIP on UDP and TCP at SIP_ADDR until ctx is cancelled; then it
// hangs up every call with BYE and finishes recordings (tickets included)
// before returning. It returns an error if the port cannot be opened.
func (c *Center) Run(ctx context.Context) error {
	if err := c.engine.listen(); err != nil {
		return err
	}
	go c.runLateCallbacks(ctx)
	return c.engine.serve(ctx)
}

// Store returns the hotline's store (for tests and tools).
func (c *Center) Store() *Store { return c.store }
