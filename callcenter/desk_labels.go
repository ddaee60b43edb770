package callcenter

import (
	"context"
	"fmt"

	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
)

// deskLabels names the codes the desk shows: languages and statuses as the
// console does (moderation.Labels), IVR topics by the menu's own names in
// the page's language. A code without a name shows as it is.
type deskLabels struct {
	moderation.Labels
	topics map[string]string
}

// Topic is the IVR topic key's name ("land" → "Đất đai").
func (l deskLabels) Topic(key string) string {
	if n, ok := l.topics[key]; ok && n != "" {
		return n
	}
	return key
}

func (c *Center) deskLabels(ctx context.Context, p web.Page) (deskLabels, error) {
	labels, err := c.store.mod.Labels(ctx, p.T)
	if err != nil {
		return deskLabels{}, fmt.Errorf("callcenter.deskLabels: %w", err)
	}
	menu, err := c.store.Menu(ctx)
	if err != nil {
		return deskLabels{}, fmt.Errorf("callcenter.deskLabels: %w", err)
	}
	l := deskLabels{Labels: labels, topics: map[string]string{}}
	for _, t := range menu.Topics {
		n := t.Names[p.Lang]
		if n == "" {
			n = t.Names["vi"]
		}
		l.topics[t.Key] = n
	}
	return l, nil
}
