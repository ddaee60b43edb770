// Package broker fans messages out between nodes. With Redis configured it
// uses Redis pub/sub so a message published on one node reaches subscribers
// on every node; without Redis an in-process broker serves a single node.
package broker

import "context"

// Handler receives a published payload. It is called from the broker's
// dispatch goroutine and must not block: a consumer that cannot keep up
// drops or disconnects its own slow clients instead of stalling the broker.
type Handler func(data []byte)

// Broker publishes payloads on named channels and delivers them to
// subscribers on every node (including the publishing one).
type Broker interface {
	// Publish sends data to every subscriber of channel. It never waits for
	// subscribers.
	Publish(ctx context.Context, channel string, data []byte) error
	// Subscribe registers h for channel until the returned func is called.
	Subscribe(ctx context.Context, channel string, h Handler) (unsubscribe func(), err error)
	// Close stops delivery.
	Close() error
}
