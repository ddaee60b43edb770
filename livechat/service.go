// Package livechat is the real-time channel: support conversations between
// a citizen and an operator, and live dialogue sessions where leaders
// answer moderated questions before thousands of viewers. Both run on one
// WebSocket protocol (PROTOCOL.md) whose messages are sequenced per room
// in PostgreSQL and fanned out across nodes through internal/broker.
package livechat

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/ratelimit"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

//go:embed messages/*.json
var messagesFS embed.FS

//go:embed templates/*.html static/*
var assetsFS embed.FS

// Messages is livechat's message catalog (messages/{vi,en}.json).
var Messages fs.FS = messagesFS

// Queue is what livechat needs of the moderation queue;
// *moderation.Service provides it.
type Queue interface {
	Enqueue(ctx context.Context, tx pgx.Tx, n moderation.NewItem) (moderation.Item, error)
	Act(ctx context.Context, actor *identity.User, id int64, action string, in moderation.ActionInput) (moderation.Item, error)
	AnsweredInChannel(ctx context.Context, tx pgx.Tx, src moderation.Source, ref string, actorID int64, body string) error
	PublishAnswer(ctx context.Context, tx pgx.Tx, a moderation.AnswerToPublish) (moderation.PublishedAnswer, error)
	AnswerCategories(ctx context.Context) ([]moderation.AnswerCategory, error)
	// New registers the channel's decision handlers and its live intake.
	RegisterHandler(src moderation.Source, h moderation.ChannelHandler)
	SetLiveIntake(li moderation.LiveIntake)
}

// Options tune the channel; zero values take the defaults.
type Options struct {
	SyncInterval        time.Duration // how often rooms compare their seq with PostgreSQL (2s)
	PingInterval        time.Duration // ping sockets quiet for this long (25s)
	PongTimeout         time.Duration // close a socket whose pong is this late (10s)
	WriteTimeout        time.Duration // close a socket whose write blocks this long (10s)
	SendQueue           int           // frames queued per socket before it is closed as slow (256)
	MaxConnsPerIP       int           // sockets per client address on one node (500: villages share carrier NAT)
	FramesPerSecond     float64       // per-socket frame rate (10/s)
	FrameBurst          int           // per-socket burst (30)
	SendsPerMinutePerIP int           // chat lines per client address per minute, all nodes (120)
	JoinsPerSecond      float64       // per-socket joins and history pages (4/s)
	JoinBurst           int           // per-socket join burst (10)
	JoinsPerMinutePerIP int           // joins and history pages per client address per minute, all nodes (1200)
	// ReplayBytesPerMinutePerIP bounds the history replayed to one client
	// address per minute, all nodes (16 MB): many sockets from one address
	// cannot pull a room's history over and over.
	ReplayBytesPerMinutePerIP int
	OriginPatterns            []string // other origins allowed to open sockets (same host always is)
	SecureCookies             bool
	Redis                     *redis.Client // presence counts; nil: this node only
	RedisPrefix               string
	// AcceptWait is how long a support chat waits for an operator before
	// its citizen is offered the offline question form (3m).
	AcceptWait time.Duration
	// DutyHours are the operators' hours shown on /chat (the SLA's office
	// hours; none: moderation.DefaultHours).
	DutyHours []moderation.Period
}

// defaults fills every unset (zero or negative) option.
func (o *Options) defaults() {
	def(&o.SyncInterval, 2*time.Second)
	def(&o.PingInterval, 25*time.Second)
	def(&o.PongTimeout, 10*time.Second)
	def(&o.WriteTimeout, 10*time.Second)
	def(&o.AcceptWait, 3*time.Minute)
	def(&o.SendQueue, 256)
	def(&o.MaxConnsPerIP, 500)
	def(&o.FramesPerSecond, 10)
	def(&o.FrameBurst, 30)
	def(&o.SendsPerMinutePerIP, 120)
	def(&o.JoinsPerSecond, 4)
	def(&o.JoinBurst, 10)
	// Villages share carrier NAT: a node restart reconnects hundreds.
	def(&o.JoinsPerMinutePerIP, 1200)
	def(&o.ReplayBytesPerMinutePerIP, 16<<20)
}

func def[T int | int64 | float64 | time.Duration](v *T, fallback T) {
	if *v <= 0 {
		*v = fallback
	}
}

// Deps is what the channel is built from.
type Deps struct {
	Pool    *pgxpool.Pool
	Broker  broker.Broker
	Limiter ratelimit.Limiter
	Queue   Queue // the moderation queue (required): transcripts and live questions go to it
	Log     *slog.Logger
	Metrics prometheus.Registerer // nil: not exported
	Options Options
}

// Service is the livechat channel of one node.
type Service struct {
	store   *Store
	hub     *Hub
	queue   Queue
	limiter ratelimit.Limiter
	replay  *replayBudget
	log     *slog.Logger
	opts    Options
	pages   *web.Renderer
	metrics counters
	lines   *lineBatcher // group commit of chat lines (batch.go)
}

type counters struct {
	slowClosed, floodClosed, stored, joinsRefused atomic.Int64
}

// New builds the channel and starts its hub. Call Shutdown to stop it.
func New(d Deps) (*Service, error) {
	if d.Pool == nil || d.Queue == nil {
		return nil, errors.New("livechat: Pool and Queue are required")
	}
	d.Options.defaults()
	pages, err := web.NewRenderer(assetsFS, "templates", pageFuncs)
	if err != nil {
		return nil, err
	}
	s := &Service{store: NewStore(d.Pool), queue: d.Queue, limiter: d.Limiter, log: d.Log, opts: d.Options, pages: pages,
		replay: newReplayBudget(d.Limiter, d.Options.ReplayBytesPerMinutePerIP)}
	s.hub = newHub(s.store, d.Broker, d.Log, d.Options)
	s.lines = startLineBatcher(s)
	if d.Metrics != nil {
		s.registerMetrics(d.Metrics)
	}
	for src, h := range s.Handlers() {
		d.Queue.RegisterHandler(src, h)
	}
	// Callers on the hotline ask the live dialogue on the air through moderation.
	d.Queue.SetLiveIntake(s.PhoneIntake())
	return s, nil
}

// Hub is the node's fan-out hub.
func (s *Service) Hub() *Hub { return s.hub }

// Store is the channel's storage.
func (s *Service) Store() *Store { return s.store }

// Shutdown closes every socket with "going away" and stops the hub.
func (s *Service) Shutdown(ctx context.Context) { s.hub.Shutdown(ctx) }

func (s *Service) registerMetrics(reg prometheus.Registerer) {
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	counter := func(name, help string, v *atomic.Int64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) }))
	}
	gauge("doithoai_livechat_connections", "Open WebSockets on this node.", func() float64 { return float64(s.hub.Conns()) })
	gauge("doithoai_livechat_rooms", "Rooms with subscribers on this node.", func() float64 {
		s.hub.mu.Lock()
		defer s.hub.mu.Unlock()
		return float64(len(s.hub.rooms))
	})
	counter("doithoai_livechat_slow_closed_total", "Sockets closed because their send queue overflowed.", &s.metrics.slowClosed)
	counter("doithoai_livechat_flood_closed_total", "Sockets closed for exceeding the frame rate.", &s.metrics.floodClosed)
	counter("doithoai_livechat_joins_refused_total", "Joins and history pages refused as rate limited (per socket, per address, or the address's history budget).", &s.metrics.joinsRefused)
	counter("doithoai_livechat_messages_stored_total", "Messages stored by this node.", &s.metrics.stored)
}

// publishWhenVisible publishes m once the transaction that stored it (one
// we do not control: moderation's) has committed; if it rolled back, the
// message never becomes visible and nothing is published.
func (s *Service) publishWhenVisible(m Message) {
	go func() {
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			ctx, cancel := context.WithTimeout(s.hub.ctx, 2*time.Second)
			// Publish what is stored, not m: after a rollback the seq may
			// belong to another message.
			got, err := s.store.ListMessages(ctx, m.Room, m.Seq-1, 1)
			cancel()
			if s.hub.ctx.Err() != nil {
				return
			}
			if err == nil && len(got) == 1 && got[0].Seq == m.Seq {
				s.hub.Publish(got[0])
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
	}()
}
