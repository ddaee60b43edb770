package forum

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/vntext"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

var categorySlugRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// AdminCategory is a category as admins edit it: its names in each
// language, description, moderation mode and place in the list.
type AdminCategory struct {
	ID          int64  `json:"id"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	NameEN      string `json:"name_en"`
	Description string `json:"description"`
	Moderation  string `json:"moderation"`
	Position    int    `json:"position"`
}

// Validate checks a category typed by an admin; a new one without a slug
// gets one made from its Vietnamese name.
func (c *AdminCategory) Validate(isNew bool) error {
	c.Slug, c.Name, c.NameEN, c.Description = strings.TrimSpace(c.Slug), strings.TrimSpace(c.Name), strings.TrimSpace(c.NameEN), strings.TrimSpace(c.Description)
	if isNew && c.Slug == "" {
		c.Slug = vntext.Slug(c.Name)
	}
	switch {
	case c.Name == "" || len([]rune(c.Name)) > 100 || len([]rune(c.NameEN)) > 100:
		return apperr.Invalidf("category_name_required", "a category needs a Vietnamese name (at most 100 characters)")
	case isNew && (len(c.Slug) > 64 || !categorySlugRe.MatchString(c.Slug)):
		return apperr.Invalidf("bad_slug", "the address must be lower-case letters, digits and dashes")
	case len([]rune(c.Description)) > 1000:
		return apperr.Invalidf("description_too_long", "the description is too long")
	case c.Moderation != "pre" && c.Moderation != "post":
		return apperr.Invalidf("bad_moderation", "moderation must be pre or post")
	case c.Position < -10000 || c.Position > 10000:
		return apperr.Invalidf("bad_position", "the position is out of range")
	}
	return nil
}

const adminCategoryColumns = `id, slug, name, name_en, description, moderation, position`

// FindAdminCategories lists every category in display order.
func (s *Store) FindAdminCategories(ctx context.Context) (_ []AdminCategory, err error) {
	defer apperr.Wrap(&err, "forum.Store.FindAdminCategories")
	rows, err := s.pool.Query(ctx, `SELECT `+adminCategoryColumns+` FROM forum_categories ORDER BY position, name`)
	if err != nil {
		return nil, fmt.Errorf("forum.FindAdminCategories: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[AdminCategory])
}

// CreateCategory adds c (a slug taken is a Conflict) with its audit entry.
func (s *Store) CreateCategory(ctx context.Context, actor *identity.User, c AdminCategory) (_ AdminCategory, err error) {
	defer apperr.Wrap(&err, "forum.Store.CreateCategory(%q)", c.Slug)
	if err := c.Validate(true); err != nil {
		return c, err
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO forum_categories (slug, name, name_en, description, moderation, position)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (slug) DO NOTHING RETURNING id`,
			c.Slug, c.Name, c.NameEN, c.Description, c.Moderation, c.Position).Scan(&c.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.Conflictf("slug_taken", "the address %q is taken", c.Slug)
		}
		if err != nil {
			return fmt.Errorf("forum.CreateCategory: %w", err)
		}
		return moderation.AdminAudit(ctx, tx, actor, "category.create", "category:"+c.Slug, nil, c)
	})
	return c, err
}

// UpdateCategory changes category c.ID (its slug, part of public URLs,
// stays), with its audit entry. NotFound when there is no category c.ID.
func (s *Store) UpdateCategory(ctx context.Context, actor *identity.User, c AdminCategory) (err error) {
	defer apperr.Wrap(&err, "forum.Store.UpdateCategory(%d)", c.ID)
	if err := c.Validate(false); err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var before AdminCategory
		err := tx.QueryRow(ctx, `SELECT `+adminCategoryColumns+` FROM forum_categories WHERE id = $1 FOR UPDATE`, c.ID).
			Scan(&before.ID, &before.Slug, &before.Name, &before.NameEN, &before.Description, &before.Moderation, &before.Position)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.NotFoundf("no such category")
		}
		if err != nil {
			return fmt.Errorf("forum.UpdateCategory: %w", err)
		}
		c.Slug = before.Slug
		if before == c {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE forum_categories SET name = $2, name_en = $3, description = $4, moderation = $5, position = $6 WHERE id = $1`,
			c.ID, c.Name, c.NameEN, c.Description, c.Moderation, c.Position); err != nil {
			return fmt.Errorf("forum.UpdateCategory: %w", err)
		}
		return moderation.AdminAudit(ctx, tx, actor, "category.update", "category:"+c.Slug, before, c)
	})
}
