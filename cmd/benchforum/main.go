// Command benchforum is the benchmark of issue 3, run by `make bench`.
//
// It starts its own PostgreSQL in a temporary directory (fsync off unless
// -durable), migrates it, loads -n generated Vietnamese questions with COPY
// (progress on stderr), then measures on loopback only, each part bounded
// in time:
//
//   - page: question pages /cau-hoi/{id}-{slug} served by the real binary
//     (bin/doithoai serve), requests/s and p50/p99, beside a chi hello
//     world measured by the same load generator in the same run — the
//     ratio is the figure that travels between machines;
//   - search: p50/p95 of common and rare queries, through forum.Store.Search
//     and through GET /api/v1/search;
//   - claims: moderation.Service.ClaimNext with 4, 20 and 64 concurrent
//     moderators, claims/s, and a check that no item is claimed twice.
//
// It prints a Markdown section for BENCHMARKS.md on stdout (and to -out).
// Load generator, server and PostgreSQL share the machine's cores.
//
//	go run ./cmd/benchforum                       # everything, 1,000,000 questions
//	go run ./cmd/benchforum -keep -only search    # reuse the data of a previous -keep run
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/doithoai/doithoai/internal/localserver"
)

type options struct {
	n             int
	duration      time.Duration
	warmup        time.Duration
	only          string
	keep          bool
	dir           string
	durable       bool
	bin           string
	conns         int
	items         int
	queries       int
	seed          uint64
	sharedBuffers string
	out           string
	zipf          float64
}

func (o options) want(part string) bool {
	if o.only == "" {
		return true
	}
	for _, p := range strings.Split(o.only, ",") {
		if strings.TrimSpace(p) == part {
			return true
		}
	}
	return false
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1_000_000, "questions to generate")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time of each load run and of each claims round")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time before each load run")
	flag.StringVar(&o.only, "only", "", "run only these parts: page, search, claims (comma separated)")
	flag.BoolVar(&o.keep, "keep", false, "keep the database in -dir and reuse it next time (skips generation when -n and -seed match)")
	flag.StringVar(&o.dir, "dir", ".data/bench", "where -keep keeps the database (without -keep a temporary directory is used and removed)")
	flag.BoolVar(&o.durable, "durable", false, "run PostgreSQL durable (fsync on, synchronous_commit on) instead of fsync off")
	flag.StringVar(&o.bin, "bin", "bin/doithoai", "doithoai binary to serve pages with (built into the temporary directory when missing)")
	flag.IntVar(&o.conns, "conns", 32, "concurrent keep-alive connections of the HTTP load generator")
	flag.IntVar(&o.items, "items", 200_000, "moderation items to enqueue for the claims rounds")
	flag.IntVar(&o.queries, "queries", 300, "searches per query set and path")
	flag.Uint64Var(&o.seed, "seed", 1, "generator seed")
	flag.StringVar(&o.sharedBuffers, "shared-buffers", "1GB", "PostgreSQL shared_buffers")
	flag.StringVar(&o.out, "out", "", "also write the Markdown section to this file")
	flag.Float64Var(&o.zipf, "zipf", 0, "question pages asked with Zipf popularity of this exponent (> 1) instead of uniformly")
	flag.Parse()
	for _, p := range strings.Split(o.only, ",") {
		switch strings.TrimSpace(p) {
		case "", "page", "search", "claims":
		default:
			fmt.Fprintf(os.Stderr, "benchforum: -only %q: want page, search or claims\n", p)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		logf("%v", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	began := time.Now()
	var dir string
	if o.keep {
		abs, err := filepath.Abs(o.dir)
		if err != nil {
			return err
		}
		dir = abs
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	} else {
		tmp, err := os.MkdirTemp("", "benchforum-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	logf("starting PostgreSQL in %s (durable=%v, shared_buffers=%s)", dir, o.durable, o.sharedBuffers)
	pg, err := localserver.StartPostgres(ctx, localserver.PostgresOptions{
		Dir: filepath.Join(dir, "postgres"), Durable: o.durable, SharedBuffers: o.sharedBuffers})
	if err != nil {
		return err
	}
	defer pg.Stop()
	benchURL := pg.URL(dbName)

	start := time.Now()
	reused, err := prepareDatabase(ctx, pg.URL("postgres"), benchURL, o.n, o.seed)
	if err != nil {
		return err
	}
	res := &results{opts: o, reused: reused, loadTook: time.Since(start)}
	if res.machine, err = describeMachine(ctx, benchURL); err != nil {
		return err
	}
	if res.data, err = describeData(ctx, benchURL); err != nil {
		return err
	}
	pgPID := postmasterPID(filepath.Join(dir, "postgres"))

	if o.want("page") || o.want("search") {
		node, err := startNode(ctx, o.bin, benchURL, dir)
		if err != nil {
			return err
		}
		defer node.stop()
		if o.want("page") {
			if res.page, err = benchPages(ctx, o, node, benchURL, pgPID); err != nil {
				return fmt.Errorf("page: %w", err)
			}
		}
		if o.want("search") {
			if res.search, err = benchSearch(ctx, o, node, benchURL); err != nil {
				return fmt.Errorf("search: %w", err)
			}
		}
		node.stop()
	}
	if o.want("claims") {
		if res.claims, err = benchClaims(ctx, o, benchURL, pgPID); err != nil {
			return fmt.Errorf("claims: %w", err)
		}
	}
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	res.took = time.Since(began)
	md := res.markdown()
	fmt.Print(md)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			return err
		}
	}
	logf("done in %s", res.took.Round(time.Second))
	return nil
}
