package main

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/doithoai/doithoai/internal/config"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/go-chi/chi/v5"
)

// TestOpenAPIListsEveryRoute: every API route the node serves is in
// openapi.yaml with its method, so the published contract cannot drift
// from the code.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	t.Parallel()
	documented := map[string]bool{} // "METHOD /path"
	f, err := os.Open("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pathRe := regexp.MustCompile(`^  (/\S*):\s*$`)
	methodRe := regexp.MustCompile(`^    (get|post|put|delete|patch):`)
	current := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := pathRe.FindStringSubmatch(sc.Text()); m != nil {
			current = m[1]
		} else if m := methodRe.FindStringSubmatch(sc.Text()); m != nil && current != "" {
			documented[strings.ToUpper(m[1])+" "+current] = true
		}
	}
	env := map[string]string{"DATABASE_URL": testenv.NewDBURL(t), "DISABLE_SIP": "true", "DATA_DIR": t.TempDir()}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(context.Background(), cfg, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	routes, ok := a.routes().(chi.Routes)
	if !ok {
		t.Fatal("routes is not a chi router")
	}
	n := 0
	err = chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(strings.ReplaceAll(route, "/*/", "/"), "/")
		if !strings.HasPrefix(route, "/api/") && route != "/ws" {
			return nil
		}
		n++
		if !documented[method+" "+route] {
			t.Errorf("%s %s is served but not in openapi.yaml", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 40 {
		t.Fatalf("walked only %d API routes", n)
	}
}
