package callcenter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// StoredPrompt is a prompt an admin uploaded or recorded by phone, already
// converted to 8 kHz mono 16-bit WAV.
type StoredPrompt struct {
	Language  string
	Name      string
	WAV       []byte
	Source    string // "upload" or "phone"
	UpdatedAt time.Time
}

// Prompt sources: the embedded synthetic voice, a file under
// HOTLINE_PROMPTS_DIR, or the database.
const (
	SourceDefault = "default"
	SourceDir     = "dir"
	SourceUpload  = "upload"
	SourcePhone   = "phone"
)

// promptStore is where the prompts every node plays are kept.
type promptStore interface {
	// PromptsVersion changes whenever a prompt is saved; nodes compare it
	// at the start of each call and reload only then.
	PromptsVersion(ctx context.Context) (string, error)
	StoredPrompts(ctx context.Context) ([]StoredPrompt, error)
	// SavePrompt stores wav (already converted) for an existing language,
	// with the admin audit entry of actor (nil: none) in its transaction.
	SavePrompt(ctx context.Context, p StoredPrompt, actor *identity.User) error
}

// Languages returns every configured language, by menu key.
func (s *Store) Languages(ctx context.Context) (_ []Language, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.Languages")
	rows, _ := s.pool.Query(ctx, `SELECT code, name, menu_key, active, updated_at FROM hotline_languages ORDER BY menu_key`)
	langs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Language, error) {
		var l Language
		err := r.Scan(&l.Code, &l.Name, &l.MenuKey, &l.Active, &l.UpdatedAt)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("callcenter.Languages: %w", err)
	}
	return langs, nil
}

// PutLanguage adds or changes the language code. A key taken by another
// language is a Conflict.
func (s *Store) PutLanguage(ctx context.Context, code string, u LanguageUpdate, actor *identity.User) (_ Language, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.PutLanguage(%q)", code)
	l, err := u.validate(code)
	if err != nil {
		return l, err
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var before *Language
		var old Language
		err := tx.QueryRow(ctx, `SELECT code, name, menu_key, active FROM hotline_languages WHERE code = $1 FOR UPDATE`,
			l.Code).Scan(&old.Code, &old.Name, &old.MenuKey, &old.Active)
		if err == nil {
			before = &old
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := tx.QueryRow(ctx, `
			INSERT INTO hotline_languages (code, name, menu_key, active, updated_by) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (code) DO UPDATE SET name = excluded.name, menu_key = excluded.menu_key,
				active = excluded.active, updated_by = excluded.updated_by, updated_at = now()
			RETURNING updated_at`, l.Code, l.Name, l.MenuKey, l.Active, nullID(actorID(actor))).Scan(&l.UpdatedAt); err != nil {
			return err
		}
		after := Language{Code: l.Code, Name: l.Name, MenuKey: l.MenuKey, Active: l.Active}
		return moderation.AdminAudit(ctx, tx, actor, "hotline.language", "hotline_language:"+l.Code, before, after)
	})
	if db.IsUniqueViolation(err, "hotline_languages_menu_key_key") {
		return l, apperr.Conflictf("menu_key_taken", "key %s belongs to another language; change that one first", l.MenuKey)
	}
	if err != nil {
		return l, fmt.Errorf("callcenter.PutLanguage: %w", err)
	}
	return l, nil
}

// PromptsVersion implements promptStore.
func (s *Store) PromptsVersion(ctx context.Context) (_ string, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.PromptsVersion")
	var n int64
	var last time.Time
	err = s.pool.QueryRow(ctx, `SELECT count(*), coalesce(max(updated_at), 'epoch') FROM hotline_prompts`).Scan(&n, &last)
	if err != nil {
		return "", fmt.Errorf("callcenter.PromptsVersion: %w", err)
	}
	return fmt.Sprintf("%d/%d", n, last.UnixNano()), nil
}

// StoredPrompts implements promptStore.
func (s *Store) StoredPrompts(ctx context.Context) (_ []StoredPrompt, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.StoredPrompts")
	rows, _ := s.pool.Query(ctx, `SELECT language, name, wav, source, updated_at FROM hotline_prompts`)
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StoredPrompt, error) {
		var p StoredPrompt
		err := r.Scan(&p.Language, &p.Name, &p.WAV, &p.Source, &p.UpdatedAt)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("callcenter.StoredPrompts: %w", err)
	}
	return ps, nil
}

// SavePrompt implements promptStore; an unknown language is NotFound.
func (s *Store) SavePrompt(ctx context.Context, p StoredPrompt, actor *identity.User) (err error) {
	defer apperr.Wrap(&err, "callcenter.Store.SavePrompt")
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO hotline_prompts (language, name, wav, source, updated_by)
			SELECT code, $2, $3, $4, $5 FROM hotline_languages WHERE code = $1
			ON CONFLICT (language, name) DO UPDATE SET wav = excluded.wav, source = excluded.source,
				updated_by = excluded.updated_by, updated_at = clock_timestamp()`,
			p.Language, p.Name, p.WAV, p.Source, nullID(actorID(actor)))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return apperr.NotFoundf("no language %q: add it first", p.Language)
		}
		// The audit keeps what changed, not the audio (it is in the row).
		after := map[string]any{"source": p.Source, "bytes": len(p.WAV)}
		return moderation.AdminAudit(ctx, tx, actor, "hotline.prompt", "hotline_prompt:"+p.Language+"/"+p.Name, nil, after)
	})
	if err != nil && apperr.As(err).Kind != apperr.NotFound {
		return fmt.Errorf("callcenter.SavePrompt: %w", err)
	}
	return err
}

// actorID is the account id of actor, 0 for none.
func actorID(actor *identity.User) int64 {
	if actor == nil {
		return 0
	}
	return actor.ID
}

// UserIDByLogin returns the id of the staff member login (0 if unknown),
// so a prompt recorded on the staff line names who recorded it.
func (s *Store) UserIDByLogin(ctx context.Context, login string) (_ int64, err error) {
	defer apperr.Wrap(&err, "callcenter.Store.UserIDByLogin(%q)", login)
	var id int64
	err = s.pool.QueryRow(ctx, `SELECT id FROM users WHERE login = $1`, login).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("callcenter.UserIDByLogin: %w", err)
	}
	return id, nil
}
