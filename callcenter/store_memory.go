package callcenter

import (
	"context"
	"sync"

	"github.com/doithoai/doithoai/moderation"
)

// MemoryStore keeps tickets and CDRs in memory. It backs the tests and the
// sipload benchmark's stand-alone server; production uses Store.
type MemoryStore struct {
	mu        sync.Mutex
	menu      Menu
	Tickets   []MemoryTicket
	CDRs      []CDR
	Abandoned []AbandonedCall
	agents    map[string]string // login → HA1
	ml        memoryLanguages
}

// MemoryTicket is a ticket as MemoryStore keeps it.
type MemoryTicket struct {
	Ticket
	NewTicket
}

// NewMemoryStore returns a store holding DefaultMenu and no agents.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{menu: DefaultMenu(), agents: map[string]string{}}
}

func (m *MemoryStore) Menu(ctx context.Context) (Menu, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.menu, nil
}

// SetMenu replaces the menu after validating it.
func (m *MemoryStore) SetMenu(menu Menu) error {
	if err := menu.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	m.menu = menu
	m.mu.Unlock()
	return nil
}

func (m *MemoryStore) CreateTicket(ctx context.Context, t NewTicket) (Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		num := moderation.NewNumericCode()
		taken := false
		for _, x := range m.Tickets {
			taken = taken || x.Number == num
		}
		if !taken {
			tk := Ticket{ID: int64(len(m.Tickets) + 1), Number: num}
			m.Tickets = append(m.Tickets, MemoryTicket{tk, t})
			return tk, nil
		}
	}
}

func (m *MemoryStore) CreateAbandonedCallback(ctx context.Context, a AbandonedCall) error {
	m.mu.Lock()
	m.Abandoned = append(m.Abandoned, a)
	m.mu.Unlock()
	return nil
}

func (m *MemoryStore) SaveCDR(ctx context.Context, cdr CDR) error {
	m.mu.Lock()
	m.CDRs = append(m.CDRs, cdr)
	m.mu.Unlock()
	return nil
}

// AddAgent registers SIP credentials for login.
func (m *MemoryStore) AddAgent(login, secret string) {
	m.mu.Lock()
	m.agents[login] = HA1(login, secret)
	m.mu.Unlock()
}

func (m *MemoryStore) AgentHA1(ctx context.Context, login string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ha1, ok := m.agents[login]
	return ha1, ok, nil
}

// Snapshot returns copies of the tickets and CDRs stored so far.
func (m *MemoryStore) Snapshot() ([]MemoryTicket, []CDR) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]MemoryTicket(nil), m.Tickets...), append([]CDR(nil), m.CDRs...)
}

// CaseStatus implements callStore: the tickets kept here are never looked
// up by code (the moderation queue is not in memory), so every code is
// checked and then not found.
func (m *MemoryStore) CaseStatus(ctx context.Context, who, code string) (CaseStatus, error) {
	if err := moderation.CheckCode(moderation.NormalizeCode(code)); err != nil {
		return CaseStatus{}, err
	}
	return CaseStatus{}, errCaseNotFound
}
