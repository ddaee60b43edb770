package callcenter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// SaveTopics replaces the menu's topics and default topic, leaving its
// languages as they are (another page edits those), under a row lock so
// two admins' saves do not undo each other. The whole menu is validated;
// the admin audit entry is written in the same transaction.
func (s *Store) SaveTopics(ctx context.Context, actor *identity.User, topics []TopicOption, defaultTopic string) (_ Menu, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.SaveTopics")
	var m Menu
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT menu FROM hotline_menus WHERE id = 1 FOR UPDATE`).Scan(&raw)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			m = DefaultMenu()
		case err != nil:
			return fmt.Errorf("callcenter.SaveTopics: %w", err)
		default:
			if err := json.Unmarshal(raw, &m); err != nil {
				return fmt.Errorf("callcenter.SaveTopics: stored menu: %w", err)
			}
		}
		before := struct {
			Topics       []TopicOption `json:"topics"`
			DefaultTopic string        `json:"default_topic"`
		}{m.Topics, m.DefaultTopic}
		m.Topics, m.DefaultTopic = topics, defaultTopic
		if err := m.Validate(); err != nil {
			return apperr.Invalidf("invalid_menu", "%s", strings.TrimPrefix(err.Error(), ErrInvalidMenu.Error()+": "))
		}
		if raw, err = json.Marshal(m); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO hotline_menus (id, menu, updated_by, updated_at) VALUES (1, $1, $2, now())
			ON CONFLICT (id) DO UPDATE SET menu = excluded.menu, updated_by = excluded.updated_by, updated_at = now()`,
			raw, nullID(actor.ID)); err != nil {
			return fmt.Errorf("callcenter.SaveTopics: %w", err)
		}
		after := before
		after.Topics, after.DefaultTopic = m.Topics, m.DefaultTopic
		return moderation.AdminAudit(ctx, tx, actor, "hotline.topics", "hotline:menu", before, after)
	})
	return m, err
}

// SaveHours stores the admins' business hours (empty: back to
// HOTLINE_HOURS) with the audit entry; spec must have parsed already.
func (s *Store) SaveHours(ctx context.Context, actor *identity.User, spec string) (err error) {
	defer apperr.Wrap(&err, "callcenter.Store.SaveHours")
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		return moderation.SaveSetting(ctx, tx, actor, moderation.SettingHotlineHours, spec)
	})
}

// SaveMenuAs is SaveMenu for an admin, with the admin audit entry (the
// menu before and after) in the same transaction.
func (s *Store) SaveMenuAs(ctx context.Context, m Menu, actor *identity.User) (err error) {
	defer apperr.Wrap(&err, "callcenter.Store.SaveMenuAs")
	if err := m.Validate(); err != nil {
		return apperr.Invalidf("invalid_menu", "%s", strings.TrimPrefix(err.Error(), ErrInvalidMenu.Error()+": "))
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var before json.RawMessage
		if err := tx.QueryRow(ctx, `SELECT menu FROM hotline_menus WHERE id = 1 FOR UPDATE`).Scan(&before); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("callcenter.SaveMenuAs: %w", err)
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO hotline_menus (id, menu, updated_by, updated_at) VALUES (1, $1, $2, now())
			ON CONFLICT (id) DO UPDATE SET menu = excluded.menu, updated_by = excluded.updated_by, updated_at = now()`,
			raw, nullID(actor.ID)); err != nil {
			return fmt.Errorf("callcenter.SaveMenuAs: %w", err)
		}
		var b any
		if before != nil {
			b = before
		}
		return moderation.AdminAudit(ctx, tx, actor, "hotline.menu", "hotline:menu", b, json.RawMessage(raw))
	})
}
