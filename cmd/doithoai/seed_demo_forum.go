package main

import (
	"context"
	"fmt"

	"github.com/doithoai/doithoai/forum"
	"github.com/doithoai/doithoai/moderation"
)

// demoQuestion is one forum question of the demo and what happens to it.
type demoQuestion struct {
	q       forum.NewQuestion
	byUser  bool   // asked by the demo citizen's account
	outcome string // answer, reject, request-info, route or "" (left waiting)
	text    string // the answer, reason, message or department
	replies []string
	// ageDays: filed this many days ago. The two meant to be overdue are
	// aged past three working days even across Tết's week of holidays.
	ageDays int
}

var demoQuestions = []demoQuestion{
	{q: forum.NewQuestion{Category: "dat-dai", Title: "Thủ tục cấp giấy chứng nhận quyền sử dụng đất lần đầu",
		Body:     "Gia đình tôi sử dụng mảnh đất ở thôn Bản Phố từ năm 1995, chưa có giấy chứng nhận. Xin hỏi cần chuẩn bị hồ sơ gì và nộp ở đâu?",
		Province: "Lào Cai", District: "Bắc Hà", Name: "Giàng A Páo", Consent: true},
		outcome: "answer", text: "Hồ sơ gồm đơn đăng ký (mẫu 04/ĐK), giấy tờ về nguồn gốc sử dụng đất (nếu có) và xác nhận của UBND xã về thời gian sử dụng ổn định. Ông nộp tại Bộ phận một cửa của UBND huyện; thời hạn giải quyết không quá 20 ngày làm việc.",
		replies: []string{"Cảm ơn cán bộ, tôi đã nộp hồ sơ ở bộ phận một cửa.", "Nhà tôi cũng đang hỏi việc này, rất hữu ích."}, ageDays: 9},
	{q: forum.NewQuestion{Category: "chinh-sach-xa-hoi", Title: "Điều kiện công nhận hộ cận nghèo năm 2026",
		Body:     "Thu nhập bình quân của gia đình tôi khoảng 1,5 triệu đồng mỗi người một tháng. Gia đình có được công nhận hộ cận nghèo không?",
		Province: "Hà Giang", Name: "Lý Thị Mai", Consent: true},
		outcome: "answer", text: "Theo chuẩn nghèo giai đoạn 2026–2030, hộ cận nghèo ở khu vực nông thôn có thu nhập bình quân từ trên 1,5 đến 2 triệu đồng/người/tháng và thiếu hụt dưới 3 chỉ số dịch vụ xã hội cơ bản. Bà liên hệ trưởng thôn để được rà soát trong đợt tháng 10.",
		replies: []string{"Thôn tôi đã rà soát xong, cảm ơn."}, ageDays: 6},
	{q: forum.NewQuestion{Category: "giao-thong-ha-tang", Title: "Đường liên xã Tả Van – Bản Hồ xuống cấp nghiêm trọng",
		Body:     "Đoạn đường dài khoảng 2 km sạt lở sau mưa lũ, xe máy đi lại rất nguy hiểm, học sinh phải đi bộ vòng. Đề nghị sớm sửa chữa.",
		Province: "Lào Cai", District: "Sa Pa", Kind: "feedback"},
		outcome: "answer", text: "Huyện đã giao Ban Quản lý dự án khảo sát; việc khắc phục tạm thời hoàn thành trong tháng này, sửa chữa lớn đưa vào kế hoạch năm sau.",
		replies: []string{"Đoạn gần trường học đã được san lấp tạm, cảm ơn."}, ageDays: 4},
	{q: forum.NewQuestion{Category: "y-te-giao-duc", Title: "Lịch tiêm chủng mở rộng tại trạm y tế xã tháng 12",
		Body:     "Con tôi 9 tháng tuổi, cần tiêm sởi. Trạm y tế xã Nậm Búng tháng này tiêm vào ngày nào?",
		Province: "Yên Bái", Name: "Hoàng Văn Thào", Consent: true}, ageDays: 1},
	{q: forum.NewQuestion{Category: "khac", Title: "Bán phân bón giá rẻ giao tận nơi",
		Body: "Liên hệ số điện thoại trên trang của chúng tôi để mua phân bón giá rẻ, giao tận nơi trong ngày."},
		outcome: "reject", text: "Quảng cáo, không phải câu hỏi gửi chính quyền."},
	{q: forum.NewQuestion{Category: "dat-dai", Title: "Khiếu nại mức bồi thường giải phóng mặt bằng đường tỉnh 152",
		Body:     "Gia đình tôi bị thu hồi 300 m² đất vườn, mức bồi thường thấp hơn nhiều so với thửa bên cạnh cùng loại đất. Đề nghị xem xét lại.",
		Province: "Lào Cai", Kind: "complaint", Name: "Vàng Seo Chứ", Contact: "0987654321", Consent: true}, ageDays: 20},
	{q: forum.NewQuestion{Category: "chinh-sach-xa-hoi", Title: "Hồ sơ hưởng trợ cấp xã hội hằng tháng cho người cao tuổi",
		Body:     "Mẹ tôi năm nay 80 tuổi, không có lương hưu. Tôi cần làm hồ sơ gì để mẹ được hưởng trợ cấp hằng tháng?",
		Province: "Lai Châu", Visibility: "private", Name: "Lò Văn Dân", Consent: true},
		byUser: true, outcome: "answer", text: "Người từ đủ 80 tuổi không có lương hưu được hưởng trợ cấp xã hội hằng tháng. Gia đình nộp tờ khai (mẫu số 1a) tại UBND xã; từ tháng sau khi có quyết định, trợ cấp được chi trả tại nhà.", ageDays: 3},
	{q: forum.NewQuestion{Category: "giao-thong-ha-tang", Title: "Đèn đường thôn Nà Hang không sáng hơn một tháng nay",
		Body:     "Toàn bộ 12 cột đèn trên trục chính của thôn không sáng từ đầu tháng, buổi tối đi lại khó khăn. Xin cho biết khi nào sửa?",
		Province: "Tuyên Quang", Kind: "feedback"}, ageDays: 16},
	{q: forum.NewQuestion{Category: "y-te-giao-duc", Title: "Vaccination schedule for children of foreign residents",
		Body:     "We moved to Sa Pa this year. Can our 2-year-old get the free vaccines at the commune health station, and what papers do we need?",
		Province: "Lào Cai", Language: "en", Name: "Anna Berg", Contact: "anna.berg@example.org", Consent: true}, ageDays: 2},
	{q: forum.NewQuestion{Category: "y-te-giao-duc", Title: "Xin hỗ trợ học bổng cho học sinh dân tộc thiểu số",
		Body:     "Con tôi học lớp 10 trường dân tộc nội trú, gia đình khó khăn. Có chương trình học bổng nào cháu có thể đăng ký không?",
		Province: "Điện Biên", Name: "Quàng Văn Hặc", Consent: true},
		outcome: "request-info", text: "Xin cho biết cháu học trường nào và gia đình có thuộc hộ nghèo, cận nghèo không?", ageDays: 2},
	{q: forum.NewQuestion{Category: "khac", Title: "Giờ làm việc của bộ phận một cửa ngày thứ bảy",
		Body: "Bộ phận một cửa của UBND huyện có làm việc vào sáng thứ bảy không? Tôi đi làm cả tuần nên chỉ có thể đến cuối tuần."},
		outcome: "route", text: "tiep-cong-dan", ageDays: 5},
}

// forum asks every demo question as a citizen would, then decides on each
// as a moderator would; the replies come from citizens and are approved.
func (d *demo) forum(ctx context.Context) error {
	for _, dq := range demoQuestions {
		n := dq.q
		if dq.byUser {
			n.AuthorID = &d.citizen.ID
		}
		q, err := d.a.forum.Ask(ctx, n)
		if err != nil {
			return fmt.Errorf("ask %q: %w", n.Title, err)
		}
		itemID, err := d.itemOf(ctx, moderation.SourceForumQuestion, q.ID)
		if err != nil {
			return err
		}
		if dq.ageDays > 0 {
			if err := d.age(ctx, itemID, dq.ageDays); err != nil {
				return err
			}
		}
		switch dq.outcome {
		case moderation.ActionAnswer:
			err = d.act(ctx, d.mod, itemID, moderation.ActionAnswer, moderation.ActionInput{Body: dq.text})
		case moderation.ActionReject:
			err = d.act(ctx, d.mod, itemID, moderation.ActionReject, moderation.ActionInput{Reason: dq.text})
		case moderation.ActionRequestInfo:
			err = d.act(ctx, d.mod, itemID, moderation.ActionRequestInfo, moderation.ActionInput{Message: dq.text})
		case moderation.ActionRoute:
			if err = d.act(ctx, d.mod, itemID, moderation.ActionApprove, moderation.ActionInput{}); err == nil {
				err = d.act(ctx, d.mod, itemID, moderation.ActionRoute, moderation.ActionInput{Department: dq.text})
			}
		}
		if err != nil {
			return err
		}
		for i, body := range dq.replies {
			r, err := d.a.forum.Reply(ctx, q.ID, forum.NewReply{Body: body, Name: fmt.Sprintf("Người dân %d", i+1), Consent: true})
			if err != nil {
				return fmt.Errorf("reply to %q: %w", n.Title, err)
			}
			rid, err := d.itemOf(ctx, moderation.SourceForumReply, r.ID)
			if err != nil {
				return err
			}
			it, err := d.a.moderation.Store.FindItemByID(ctx, rid)
			if err != nil {
				return err
			}
			if it.Status == moderation.StatusPending {
				if err := d.act(ctx, d.mod, rid, moderation.ActionApprove, moderation.ActionInput{}); err != nil {
					return err
				}
			}
			// An approved reply is reviewed: closing it takes it out of the open queue.
			if err := d.act(ctx, d.mod, rid, moderation.ActionClose, moderation.ActionInput{}); err != nil {
				return err
			}
		}
	}
	return nil
}
