package forum

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Seed adds the demo categories (idempotent).
func Seed(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO forum_categories (slug, name, name_en, description, moderation, position) VALUES
			('dat-dai', 'Đất đai', 'Land', 'Giao đất, cấp giấy chứng nhận, bồi thường, tái định cư.', 'pre', 1),
			('chinh-sach-xa-hoi', 'Chính sách xã hội', 'Social policy', 'Hộ nghèo, bảo trợ xã hội, bảo hiểm y tế, học bổng.', 'pre', 2),
			('giao-thong-ha-tang', 'Giao thông, hạ tầng', 'Roads and infrastructure', 'Đường, cầu, điện, nước sạch.', 'post', 3),
			('y-te-giao-duc', 'Y tế, giáo dục', 'Health and education', 'Trạm y tế, trường học, tiêm chủng.', 'pre', 4),
			('khac', 'Khác', 'Other', 'Những vấn đề khác.', 'pre', 9)
		ON CONFLICT (slug) DO NOTHING`)
	return err
}
