package forum

import (
	"context"
	"errors"
	"log/slog"

	"github.com/doithoai/doithoai/internal/ratelimit"
	"github.com/doithoai/doithoai/moderation"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Deps is what the forum is built from. The forum has no configuration
// section of its own: what it reads of the node's (BASE_URL,
// SECURE_COOKIES) and the signing key come in Options.
type Deps struct {
	Pool       *pgxpool.Pool
	Moderation *moderation.Service // questions, replies and reports are enqueued here; decisions come back
	Limiter    ratelimit.Limiter   // submissions and anonymous votes per address
	Log        *slog.Logger
	Options    Options // Limiter is taken from Deps
}

// Domain is the forum of one node: its service and its pages and API.
type Domain struct {
	*Service
	handlers *Handlers
}

// New builds the forum and registers its decision handlers (and the
// publisher of live-dialogue answers) with moderation.
func New(d Deps) (*Domain, error) {
	if d.Pool == nil || d.Moderation == nil {
		return nil, errors.New("forum: Pool and Moderation are required")
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	svc := NewService(d.Pool, d.Moderation, d.Log)
	d.Options.Limiter = d.Limiter
	h, err := NewHandlers(svc, d.Options)
	if err != nil {
		return nil, err
	}
	return &Domain{Service: svc, handlers: h}, nil
}

// Routes registers every forum route on r.
func (f *Domain) Routes(r chi.Router) { r.Group(f.handlers.Routes) }

// RunPageCache keeps this node's cache of anonymous question pages in step
// with every node's writes until ctx ends (see Handlers.RunPageCache).
func (f *Domain) RunPageCache(ctx context.Context) { f.handlers.RunPageCache(ctx) }
