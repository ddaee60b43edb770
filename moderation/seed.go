package moderation

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Seed adds demo departments and canned answers (idempotent).
func Seed(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO departments (slug, name, handles_complaints) VALUES
			('tiep-cong-dan', 'Ban Tiếp công dân', true),
			('tai-nguyen-moi-truong', 'Sở Tài nguyên và Môi trường', false),
			('lao-dong-xa-hoi', 'Sở Lao động – Thương binh và Xã hội', false),
			('dan-toc', 'Ban Dân tộc', false)
		ON CONFLICT (slug) DO NOTHING`)
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM canned_answers`).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO canned_answers (title, body, language) VALUES
			('Đã chuyển cơ quan chuyên môn', 'Cảm ơn bạn đã gửi câu hỏi. Chúng tôi đã chuyển đến cơ quan chuyên môn và sẽ trả lời trong thời gian sớm nhất.', 'vi'),
			('Cần thêm thông tin', 'Để trả lời chính xác, xin bạn cho biết thêm: địa chỉ (xã, huyện) và thời gian xảy ra sự việc.', 'vi'),
			('Thank you', 'Thank you for your question. It has been passed to the competent office, which will answer soon.', 'en')`)
	return err
}
