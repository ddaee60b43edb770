package main

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// axe-core 4.14.1 (MPL-2.0, testdata/axe/LICENSE), from the npm registry:
// the accessibility rules Lighthouse runs, injected into each page.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// axeViolation is one failed rule of axe's report.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// wantAccessible runs axe on the page open in ctx and fails on any serious
// or critical violation (WCAG 2.2 A/AA and best practices, target size
// included).
func wantAccessible(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	var loaded bool
	if err := chromedp.Run(ctx, chromedp.Poll(`document.readyState === 'complete'`, nil),
		chromedp.Evaluate(axeSource+";typeof axe === 'object'", &loaded)); err != nil || !loaded {
		t.Fatalf("%s: axe not loaded: %v", what, err)
	}
	var vs []axeViolation
	run := `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}, resultTypes: ['violations']}).then(r => r.violations)`
	if err := chromedp.Run(ctx, chromedp.Evaluate(run, &vs, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	})); err != nil {
		t.Fatalf("%s: axe.run: %v", what, err)
	}
	for _, v := range vs {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var where []string
		for _, nd := range v.Nodes {
			where = append(where, fmt.Sprintf("%v %.120s", nd.Target, nd.HTML))
		}
		t.Errorf("%s: axe %s (%s): %s\n  %s", what, v.ID, v.Impact, v.Help, strings.Join(where, "\n  "))
	}
}
