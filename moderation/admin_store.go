package moderation

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/contact"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/jackc/pgx/v5"
)

var (
	slugRe     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	languageRe = regexp.MustCompile(`^[a-z]{2,3}$`)
)

// Validate checks a department typed by an admin (slug only when new).
func (d *Department) Validate(isNew bool) error {
	d.Slug, d.Name = strings.TrimSpace(d.Slug), strings.TrimSpace(d.Name)
	if isNew && (len(d.Slug) > 64 || !slugRe.MatchString(d.Slug)) {
		return apperr.Invalidf("bad_slug", "the code must be lower-case letters, digits and dashes")
	}
	if d.Name == "" || len([]rune(d.Name)) > 200 {
		return apperr.Invalidf("name_required", "a department needs a name (at most 200 characters)")
	}
	if d.Email = strings.TrimSpace(d.Email); d.Email != "" {
		e, err := contact.Email(d.Email)
		if err != nil {
			return apperr.Invalidf("bad_email", "the department's e-mail address is not valid")
		}
		d.Email = e
	}
	return nil
}

// FindDepartment returns the department with slug; NotFound when none.
func (s *Store) FindDepartment(ctx context.Context, slug string) (_ Department, err error) {
	defer apperr.Wrap(&err, "moderation.Store.FindDepartment(%q)", slug)
	return findDepartment(ctx, s.pool, slug, false)
}

func findDepartment(ctx context.Context, q db.Querier, slug string, lock bool) (Department, error) {
	var d Department
	sql := `SELECT slug, name, handles_complaints, email FROM departments WHERE slug = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	err := q.QueryRow(ctx, sql, slug).Scan(&d.Slug, &d.Name, &d.HandlesComplaints, &d.Email)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, apperr.NotFoundf("no such department")
	}
	return d, err
}

// CreateDepartment adds d (a slug taken is a Conflict), with its audit entry.
func (s *Store) CreateDepartment(ctx context.Context, actor *identity.User, d Department) (err error) {
	defer apperr.Wrap(&err, "moderation.Store.CreateDepartment(%q)", d.Slug)
	if err := d.Validate(true); err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO departments (slug, name, handles_complaints, email) VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO NOTHING`,
			d.Slug, d.Name, d.HandlesComplaints, d.Email)
		if err != nil {
			return fmt.Errorf("moderation.CreateDepartment: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return apperr.Conflictf("slug_taken", "the code %q is taken", d.Slug)
		}
		return AdminAudit(ctx, tx, actor, "department.create", "department:"+d.Slug, nil, d)
	})
}

// UpdateDepartment changes the name, the complaints flag and the e-mail
// address of d.Slug;
// NotFound when there is no such department.
func (s *Store) UpdateDepartment(ctx context.Context, actor *identity.User, d Department) (err error) {
	defer apperr.Wrap(&err, "moderation.Store.UpdateDepartment(%q)", d.Slug)
	if err := d.Validate(false); err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := findDepartment(ctx, tx, d.Slug, true)
		if err != nil {
			return err
		}
		if before == d {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE departments SET name = $2, handles_complaints = $3, email = $4 WHERE slug = $1`,
			d.Slug, d.Name, d.HandlesComplaints, d.Email); err != nil {
			return fmt.Errorf("moderation.UpdateDepartment: %w", err)
		}
		return AdminAudit(ctx, tx, actor, "department.update", "department:"+d.Slug, before, d)
	})
}

// Validate checks a canned answer typed by an admin.
func (c *CannedAnswer) Validate() error {
	c.Title, c.Body, c.Language = strings.TrimSpace(c.Title), strings.TrimSpace(c.Body), strings.TrimSpace(c.Language)
	if c.Language == "" {
		c.Language = "vi"
	}
	switch {
	case c.Title == "" || c.Body == "":
		return apperr.Invalidf("bad_canned_answer", "a canned answer needs a title and a body")
	case len([]rune(c.Title)) > 200 || len([]rune(c.Body)) > 10000:
		return apperr.Invalidf("canned_too_long", "the title or the text is too long")
	case !languageRe.MatchString(c.Language):
		return apperr.Invalidf("bad_language", "the language must be a code like vi or en")
	}
	return nil
}

func findCanned(ctx context.Context, q db.Querier, id int64) (CannedAnswer, error) {
	var c CannedAnswer
	err := q.QueryRow(ctx, `SELECT id, title, body, language FROM canned_answers WHERE id = $1 FOR UPDATE`, id).
		Scan(&c.ID, &c.Title, &c.Body, &c.Language)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, apperr.NotFoundf("no such canned answer")
	}
	return c, err
}

// AdminCreateCannedAnswer adds c with its audit entry.
func (s *Store) AdminCreateCannedAnswer(ctx context.Context, actor *identity.User, c CannedAnswer) (_ CannedAnswer, err error) {
	defer apperr.Wrap(&err, "moderation.Store.AdminCreateCannedAnswer")
	if err := c.Validate(); err != nil {
		return c, err
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO canned_answers (title, body, language) VALUES ($1, $2, $3) RETURNING id`,
			c.Title, c.Body, c.Language).Scan(&c.ID); err != nil {
			return fmt.Errorf("moderation.AdminCreateCannedAnswer: %w", err)
		}
		return AdminAudit(ctx, tx, actor, "canned.create", fmt.Sprintf("canned:%d", c.ID), nil, c)
	})
	return c, err
}

// UpdateCannedAnswer replaces canned answer c.ID; NotFound when none.
func (s *Store) UpdateCannedAnswer(ctx context.Context, actor *identity.User, c CannedAnswer) (err error) {
	defer apperr.Wrap(&err, "moderation.Store.UpdateCannedAnswer(%d)", c.ID)
	if err := c.Validate(); err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := findCanned(ctx, tx, c.ID)
		if err != nil || before == c {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE canned_answers SET title = $2, body = $3, language = $4 WHERE id = $1`,
			c.ID, c.Title, c.Body, c.Language); err != nil {
			return fmt.Errorf("moderation.UpdateCannedAnswer: %w", err)
		}
		return AdminAudit(ctx, tx, actor, "canned.update", fmt.Sprintf("canned:%d", c.ID), before, c)
	})
}

// DeleteCannedAnswer removes canned answer id; NotFound when none.
func (s *Store) DeleteCannedAnswer(ctx context.Context, actor *identity.User, id int64) (err error) {
	defer apperr.Wrap(&err, "moderation.Store.DeleteCannedAnswer(%d)", id)
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := findCanned(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM canned_answers WHERE id = $1`, id); err != nil {
			return fmt.Errorf("moderation.DeleteCannedAnswer: %w", err)
		}
		return AdminAudit(ctx, tx, actor, "canned.delete", fmt.Sprintf("canned:%d", id), before, nil)
	})
}

// SaveSettings validates nothing itself: callers parse values first. It
// stores each key = value and its audit entry in one transaction.
func (s *Store) SaveSettings(ctx context.Context, actor *identity.User, kv map[string]string) (err error) {
	defer apperr.Wrap(&err, "moderation.Store.SaveSettings")
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		for k, v := range kv {
			if err := SaveSetting(ctx, tx, actor, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}
