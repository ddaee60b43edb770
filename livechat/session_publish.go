package livechat

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/identity"
	"github.com/doithoai/doithoai/internal/web"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// PublishTarget is where a live answer goes on the forum: an existing
// question (ForumQuestionID) or a new one in Category.
type PublishTarget struct {
	Category        string `json:"category"`
	ForumQuestionID int64  `json:"forum_question_id"`
}

// PublishToForum publishes an answered live question and its leaders'
// answers as a forum question with its official answer, through the
// moderation queue (livechat does not know the forum). Moderators, admins
// and the session's leaders may; once per question.
func (s *Service) PublishToForum(ctx context.Context, actor *identity.User, sessionID, qid int64, to PublishTarget) (moderation.PublishedAnswer, error) {
	to.Category = strings.TrimSpace(to.Category)
	if to.ForumQuestionID < 0 || to.ForumQuestionID == 0 && to.Category == "" {
		return moderation.PublishedAnswer{}, apperr.Invalidf("target_required", "choose a category, or give an existing forum question's id")
	}
	var out moderation.PublishedAnswer
	err := db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		ss, err := findSession(ctx, tx, sessionID)
		if err != nil {
			return err
		}
		if !actor.HasRole(identity.RoleModerator, identity.RoleAdmin) && !ss.HasLeader(actor.ID) {
			return apperr.Forbiddenf("only moderators and this session's leaders publish its answers")
		}
		q, err := findQuestion(ctx, tx, qid, "FOR UPDATE")
		if err != nil || q.SessionID != sessionID {
			return apperr.NotFoundf("no such question in this session")
		}
		if q.Status != QuestionAnswered {
			return apperr.Conflictf("not_answered", "only an answered question can be published")
		}
		if q.ForumURL != "" {
			return apperr.Conflictf("published", "this answer is already on the forum at %s", q.ForumURL)
		}
		rows, err := tx.Query(ctx, `SELECT leader_id, leader_name, body FROM live_answers WHERE question_id = $1 ORDER BY id`, qid)
		if err != nil {
			return err
		}
		type answer struct {
			LeaderID *int64
			Leader   string
			Body     string
		}
		answers, err := pgx.CollectRows(rows, pgx.RowToStructByPos[answer])
		if err != nil {
			return err
		}
		if len(answers) == 0 {
			return apperr.Conflictf("not_answered", "only an answered question can be published")
		}
		a := moderation.AnswerToPublish{QuestionID: to.ForumQuestionID, Category: to.Category,
			Title: clip(q.Body, 200), Question: q.Body + "\n\n— " + ss.Title, ActorID: actor.ID,
			Answerer: answers[0].Leader, AnswererID: answers[0].LeaderID}
		var body []string
		for _, an := range answers {
			if len(answers) > 1 {
				body = append(body, "**"+an.Leader+":** "+an.Body)
			} else {
				body = append(body, an.Body)
			}
		}
		a.Answer = strings.Join(body, "\n\n")
		if out, err = s.queue.PublishAnswer(ctx, tx, a); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE live_questions SET forum_url = $2 WHERE id = $1`, qid, out.URL)
		return err
	})
	return out, err
}

// handlePublishAPI serves POST
// /api/v1/live-sessions/{id}/questions/{qid}/publish {category |
// forum_question_id} (moderators, admins, the session's leaders): 200
// {forum_question_id, url}.
func (s *Service) handlePublishAPI(w http.ResponseWriter, r *http.Request) error {
	id, qid, err := sessionQuestionIDs(r)
	if err != nil {
		return err
	}
	var in PublishTarget
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	u, _ := identity.From(r.Context())
	out, err := s.PublishToForum(r.Context(), u, id, qid, in)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, out)
	return nil
}

// handlePublishForm serves POST /giao-luu/{id}/cau-hoi/{qid}/dang-dien-dan,
// the desk's form (no JavaScript needed): back to the desk, which shows
// the link, or the error.
func (s *Service) handlePublishForm(w http.ResponseWriter, r *http.Request) error {
	id, qid, err := sessionQuestionIDs(r)
	if err != nil {
		return err
	}
	to := PublishTarget{Category: r.PostFormValue("category")}
	if v := strings.TrimSpace(r.PostFormValue("forum_question_id")); v != "" {
		if to.ForumQuestionID, err = strconv.ParseInt(v, 10, 64); err != nil || to.ForumQuestionID <= 0 {
			return apperr.Invalidf("bad_forum_question_id", "a forum question id is a positive whole number")
		}
	}
	u, _ := identity.From(r.Context())
	if _, err := s.PublishToForum(r.Context(), u, id, qid, to); err != nil {
		e := apperr.As(err)
		if e.Kind == apperr.Internal || e.Kind == apperr.Forbidden {
			return err
		}
		d, derr := s.deskPage(r, id)
		if derr != nil {
			return derr
		}
		d.FormError = e.Message
		return s.pages.Render(w, r, http.StatusUnprocessableEntity, "desk", d)
	}
	http.Redirect(w, r, fmt.Sprintf("/giao-luu/%d/dieu-phoi#q%d", id, qid), http.StatusSeeOther)
	return nil
}
