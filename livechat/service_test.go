package livechat

import (
	"testing"

	"github.com/doithoai/doithoai/internal/broker"
	"github.com/doithoai/doithoai/internal/ratelimit"
	"github.com/doithoai/doithoai/internal/testenv"
)

// Without the moderation queue nothing a citizen sends could reach the
// moderators, so the channel is not built at all.
func TestNewNeedsTheQueue(t *testing.T) {
	t.Parallel()
	svc, err := New(Deps{Pool: testenv.NewDB(t), Broker: broker.NewMemory(), Limiter: ratelimit.NewMemory(), Log: testenv.Logger(t)})
	if err == nil {
		svc.Shutdown(t.Context())
		t.Fatal("built without a queue")
	}
}
