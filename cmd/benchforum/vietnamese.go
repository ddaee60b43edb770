package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The generator writes questions the way citizens write them to a
// provincial portal: a greeting, who and where they are, what happened
// (with years, areas, amounts), and what they ask. Five topics map onto the
// five categories of forum.Seed. Everything is deterministic in the seed,
// so two runs load the same million questions.
//
// The text avoids the few characters that Markdown would turn into
// something else (quotes, ampersands, list markers at a line start, URLs),
// so body_html can be built directly; genQuestion's caller checks a sample
// against forum.RenderMarkdown to keep that honest.

type topic struct {
	category string
	weight   int
	subjects []string
	titles   []string
	context  []string
	asks     []string
	offices  []string
	laws     []string
	answers  []string
}

// slot values shared by every topic.
var (
	provinces = []string{
		"Hà Giang", "Cao Bằng", "Bắc Kạn", "Tuyên Quang", "Lào Cai", "Điện Biên", "Lai Châu", "Sơn La",
		"Yên Bái", "Hòa Bình", "Thái Nguyên", "Lạng Sơn", "Quảng Ninh", "Bắc Giang", "Phú Thọ", "Vĩnh Phúc",
		"Bắc Ninh", "Hải Dương", "Hải Phòng", "Hưng Yên", "Thái Bình", "Hà Nam", "Nam Định", "Ninh Bình",
		"Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Quảng Bình", "Quảng Trị", "Thừa Thiên Huế", "Đà Nẵng", "Quảng Nam",
		"Quảng Ngãi", "Bình Định", "Phú Yên", "Khánh Hòa", "Ninh Thuận", "Bình Thuận", "Kon Tum", "Gia Lai",
		"Đắk Lắk", "Đắk Nông", "Lâm Đồng", "Bình Phước", "Tây Ninh", "Bình Dương", "Đồng Nai", "Bà Rịa - Vũng Tàu",
		"Thành phố Hồ Chí Minh", "Long An", "Tiền Giang", "Bến Tre", "Trà Vinh", "Vĩnh Long", "Đồng Tháp", "An Giang",
		"Kiên Giang", "Cần Thơ", "Hậu Giang", "Sóc Trăng", "Bạc Liêu", "Cà Mau", "Hà Nội",
	}
	placeHead = []string{"Tân", "Phú", "Hòa", "An", "Bình", "Thạnh", "Long", "Đông", "Xuân", "Hưng", "Mỹ", "Vĩnh",
		"Quảng", "Thanh", "Trung", "Nghĩa", "Hồng", "Kim", "Đại", "Minh", "Cẩm", "Tiên", "Hương", "Yên", "Thuận", "Phước"}
	placeTail = []string{"Lập", "Thịnh", "Hòa", "Bình", "An", "Phước", "Lợi", "Thành", "Trung", "Tây", "Hải", "Sơn",
		"Hưng", "Điền", "Mỹ", "Xuân", "Phong", "Lộc", "Tiến", "Quang", "Đức", "Thủy", "Lâm", "Hiệp", "Nghĩa", "Tân"}
	villages = []string{"Nà Hang", "Pác Bó", "Nậm Cắn", "Phiêng Lằn", "Khuổi Nặm", "Cốc Pài", "Phố Mới", "Nà Lừa",
		"Tà Làng", "Bó Mạ", "Huổi Một", "Nà Tấu", "Đồng Mỏ", "Làng Mới", "Đồng Tâm", "Tân Tiến", "Hợp Thành", "Đoàn Kết"}
	surnames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
		"Hồ", "Ngô", "Dương", "Lý", "Lò", "Hà", "Sầm", "Giàng", "Vàng", "Mùa", "Triệu", "Nông", "Lường", "Đinh"}
	middles = []string{"Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Đức", "Quốc", "Thu", "Kim", "Xuân", "A"}
	givens  = []string{"An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Linh", "Mai",
		"Nam", "Nga", "Phong", "Phương", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Tuấn", "Vinh",
		"Xuân", "Yến", "Sùng", "Chứ", "Sính", "Thào", "Dơn", "Khánh", "Lộc", "Hiền", "Nhung", "Toàn"}
	honorifics = []string{"ông", "bà", "anh", "chị"}
	greetings  = []string{
		"Kính gửi {office}.",
		"Kính thưa quý cơ quan.",
		"Xin chào ban biên tập.",
		"Kính gửi các cơ quan chức năng.",
		"",
		"",
	}
	selfIntro = []string{
		"Tôi tên là {name}, hiện cư trú tại {village}, {commune}, {district}, tỉnh {province}.",
		"Tôi là {name}, sinh năm {birth}, thường trú tại {commune}, {district}, tỉnh {province}.",
		"Gia đình tôi sống ở {village}, {commune}, {district}, tỉnh {province}.",
		"Tôi là người dân {commune}, {district}.",
		"Tôi hiện đang làm nông nghiệp tại {village}, {commune}.",
	}
	closings = []string{
		"Xin trân trọng cảm ơn.",
		"Mong sớm nhận được phản hồi của cơ quan chức năng.",
		"Tôi xin cảm ơn.",
		"Rất mong được giải đáp để gia đình tôi yên tâm.",
		"Kính mong các cấp quan tâm giải quyết.",
		"",
	}
	works = []string{"đường tỉnh lộ", "khu công nghiệp", "trường tiểu học", "hồ chứa nước", "cụm dân cư vượt lũ",
		"đường cao tốc", "trạm biến áp", "nhà văn hóa thôn", "khu tái định cư", "bệnh viện huyện"}
	answerOpen = []string{
		"Trả lời câu hỏi của {hon} {name}, {office} có ý kiến như sau.",
		"{office} trả lời như sau.",
		"Về nội dung {hon} hỏi, {office} trả lời như sau.",
		"Cảm ơn {hon} đã gửi câu hỏi. {office} trả lời như sau.",
	}
	answerClose = []string{
		"Đề nghị {hon} liên hệ bộ phận tiếp nhận và trả kết quả của {district} để được hướng dẫn cụ thể.",
		"Trường hợp còn vướng mắc, {hon} có thể liên hệ trực tiếp {office} trong giờ hành chính.",
		"Kết quả giải quyết sẽ được thông báo bằng văn bản đến {hon} trong thời hạn quy định.",
		"{office} đã chỉ đạo cán bộ chuyên môn kiểm tra thực tế và sẽ thông báo kết quả cho {hon}.",
	}
	citizenReplies = []string{
		"Gia đình tôi ở {commune} cũng gặp trường hợp giống như vậy, mong được trả lời sớm.",
		"Tôi đã làm thủ tục này năm {year}, mất khoảng {n} tháng mới xong, {hon} nên hỏi trực tiếp cán bộ một cửa.",
		"Cảm ơn {hon} đã hỏi, tôi cũng đang chờ câu trả lời cho vấn đề này.",
		"Theo tôi biết thì phải có xác nhận của UBND xã trước rồi mới nộp lên huyện.",
		"Ở {district} chỗ tôi đã được giải quyết rồi, {hon} kiên nhẫn chờ thêm.",
	}
)

var topics = []topic{
	{
		category: "dat-dai", weight: 30,
		subjects: []string{"cấp giấy chứng nhận quyền sử dụng đất", "cấp đổi sổ đỏ", "bồi thường giải phóng mặt bằng",
			"hỗ trợ tái định cư", "tách thửa đất", "chuyển mục đích sử dụng đất", "tranh chấp ranh giới đất",
			"thu hồi đất nông nghiệp", "giao đất rừng sản xuất", "đăng ký biến động đất đai",
			"thừa kế quyền sử dụng đất", "đo đạc lại diện tích thửa đất", "đất lấn chiếm hành lang giao thông",
			"tiền sử dụng đất khi cấp sổ", "giá đất bồi thường"},
		titles: []string{"Thủ tục {subject} tại {commune}, {district}", "Xin hỏi về {subject}",
			"Hồ sơ {subject} nộp từ năm {year} đến nay chưa được giải quyết", "Gia đình tôi có được {subject} không",
			"Thời gian giải quyết {subject} là bao lâu", "Kiến nghị về việc {subject} ở {province}",
			"Vướng mắc khi làm {subject}", "Hỏi về {subject} đối với đất ở nông thôn"},
		context: []string{
			"Gia đình tôi sinh sống ổn định trên thửa đất này từ năm {year}, có đóng thuế đầy đủ nhưng đến nay vẫn chưa được cấp giấy chứng nhận.",
			"Năm {year}, bố mẹ tôi mua lại {area} m² đất của một hộ trong xóm bằng giấy viết tay, có xác nhận của trưởng thôn.",
			"Thửa đất của gia đình tôi nằm trong diện thu hồi để làm {work}, diện tích bị thu hồi khoảng {area} m².",
			"Mức giá bồi thường mà hội đồng đưa ra thấp hơn nhiều so với giá chuyển nhượng thực tế tại địa phương.",
			"Hộ bên cạnh đã xây tường rào lấn sang phần đất của gia đình tôi khoảng {n} mét.",
			"Tôi đã nộp hồ sơ tại bộ phận một cửa của {district} từ tháng {month} năm {year} nhưng đến nay chưa nhận được kết quả.",
			"Cán bộ địa chính xã hướng dẫn phải bổ sung giấy tờ nhiều lần, mỗi lần một yêu cầu khác nhau.",
			"Ông bà tôi mất không để lại di chúc, các anh chị em trong gia đình đã thống nhất phân chia thửa đất {area} m².",
			"Diện tích đo đạc thực tế chênh lệch khoảng {n} m² so với số liệu ghi trong giấy chứng nhận cũ.",
			"Gia đình tôi muốn chuyển {area} m² đất trồng cây lâu năm sang đất ở để làm nhà cho con trai.",
		},
		asks: []string{
			"Xin hỏi trường hợp của gia đình tôi có đủ điều kiện được cấp giấy chứng nhận không?",
			"Tôi cần chuẩn bị những giấy tờ gì và nộp ở đâu?",
			"Mức bồi thường như vậy đã đúng quy định chưa, nếu không đồng ý thì tôi phải khiếu nại ở đâu?",
			"Thời hạn giải quyết theo quy định là bao nhiêu ngày?",
			"Kính đề nghị cơ quan có thẩm quyền xem xét, trả lời để gia đình tôi yên tâm sản xuất.",
			"Xin cho biết chi phí phải nộp gồm những khoản nào?",
			"Tôi có phải nộp tiền sử dụng đất không, nếu có thì tính theo giá nào?",
		},
		offices: []string{"UBND {commune}", "Phòng Tài nguyên và Môi trường {district}", "Văn phòng đăng ký đất đai tỉnh {province}",
			"Sở Tài nguyên và Môi trường tỉnh {province}"},
		laws: []string{"Luật Đất đai năm 2024", "Nghị định số 101/2024/NĐ-CP", "Nghị định số 88/2024/NĐ-CP về bồi thường, hỗ trợ, tái định cư",
			"Nghị định số 102/2024/NĐ-CP"},
		answers: []string{
			"Căn cứ {law}, hộ gia đình sử dụng đất ổn định, không có tranh chấp, phù hợp quy hoạch thì được xem xét cấp giấy chứng nhận.",
			"Theo {law}, thời hạn giải quyết thủ tục đăng ký, cấp giấy chứng nhận lần đầu không quá 20 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
			"Giá đất tính bồi thường được xác định theo bảng giá đất và hệ số điều chỉnh do UBND tỉnh {province} ban hành, áp dụng theo {law}.",
			"Hồ sơ gồm đơn đăng ký theo mẫu, giấy tờ về quyền sử dụng đất nếu có và bản sao giấy tờ tùy thân, nộp tại bộ phận một cửa cấp huyện.",
		},
	},
	{
		category: "chinh-sach-xa-hoi", weight: 25,
		subjects: []string{"hỗ trợ hộ nghèo", "xét duyệt hộ cận nghèo", "trợ cấp xã hội hằng tháng cho người cao tuổi",
			"chế độ cho người khuyết tật", "cấp thẻ bảo hiểm y tế cho hộ nghèo", "bảo hiểm y tế hộ gia đình",
			"bảo hiểm xã hội tự nguyện", "chế độ thai sản", "trợ cấp thất nghiệp", "hỗ trợ nhà ở cho hộ nghèo",
			"chế độ người có công với cách mạng", "trợ cấp mai táng phí", "vay vốn ngân hàng chính sách xã hội",
			"hỗ trợ tiền điện cho hộ nghèo"},
		titles: []string{"Hỏi về {subject}", "Gia đình tôi có được {subject} không", "Thủ tục {subject} ở {commune}",
			"Đề nghị xem xét {subject}", "Tại sao chưa được {subject}", "Điều kiện hưởng {subject} năm {year}",
			"Chậm chi trả {subject} tại {district}"},
		context: []string{
			"Gia đình tôi có {n} nhân khẩu, thu nhập chủ yếu từ làm ruộng, bình quân chưa đến {money} đồng một người một tháng.",
			"Năm {year}, thôn đã bình xét gia đình tôi là hộ nghèo nhưng đến nay xã vẫn chưa có quyết định công nhận.",
			"Mẹ tôi năm nay {oldage} tuổi, sống một mình, không có lương hưu hay trợ cấp nào khác.",
			"Con tôi bị khuyết tật vận động từ nhỏ, đã được hội đồng xác định mức độ khuyết tật nặng.",
			"Thẻ bảo hiểm y tế của cả gia đình hết hạn từ tháng {month} nhưng chưa được cấp thẻ mới.",
			"Tôi đóng bảo hiểm xã hội được {n} năm thì công ty giải thể, nay muốn đóng tiếp theo hình thức tự nguyện.",
			"Bố tôi là thương binh, đã mất năm {year}, gia đình chưa nhận được tiền mai táng phí.",
			"Nhà tôi bị hư hỏng nặng sau cơn bão năm {year}, hiện cả gia đình phải ở nhờ nhà người thân.",
			"Tôi đã nộp đơn xin vay vốn từ tháng {month} năm {year} để chăn nuôi bò nhưng chưa được giải ngân.",
		},
		asks: []string{
			"Xin hỏi gia đình tôi có thuộc đối tượng được hưởng chính sách này không?",
			"Mức hỗ trợ hiện nay là bao nhiêu và bao giờ được nhận?",
			"Tôi cần làm hồ sơ gì, nộp ở đâu?",
			"Đề nghị các cấp xem xét để gia đình tôi được hưởng chế độ theo quy định.",
			"Việc bình xét như vậy có đúng quy định không?",
			"Xin cho biết tôi có được truy lĩnh khoản trợ cấp từ những tháng trước không?",
		},
		offices: []string{"UBND {commune}", "Phòng Lao động - Thương binh và Xã hội {district}", "Bảo hiểm xã hội {district}",
			"Sở Lao động - Thương binh và Xã hội tỉnh {province}", "Ngân hàng Chính sách xã hội {district}"},
		laws: []string{"Nghị định số 20/2021/NĐ-CP về chính sách trợ giúp xã hội", "Nghị định số 07/2021/NĐ-CP về chuẩn nghèo đa chiều",
			"Luật Bảo hiểm y tế", "Luật Bảo hiểm xã hội năm 2024", "Pháp lệnh Ưu đãi người có công với cách mạng"},
		answers: []string{
			"Căn cứ {law}, việc rà soát hộ nghèo, hộ cận nghèo được thực hiện hằng năm theo quy trình bình xét từ thôn, bản.",
			"Theo {law}, mức chuẩn trợ giúp xã hội hiện hành là {money} đồng một tháng, nhân với hệ số tương ứng từng đối tượng.",
			"Người thuộc hộ nghèo được ngân sách nhà nước đóng bảo hiểm y tế theo {law}; danh sách do UBND xã lập và gửi cơ quan bảo hiểm xã hội.",
			"Hồ sơ đề nghị gồm tờ khai theo mẫu và giấy tờ chứng minh đối tượng, nộp tại UBND cấp xã nơi cư trú.",
		},
	},
	{
		category: "giao-thong-ha-tang", weight: 15,
		subjects: []string{"sửa chữa đường giao thông nông thôn", "đường liên xã xuống cấp", "xây cầu treo qua suối",
			"kéo điện lưới về thôn", "nước sạch sinh hoạt", "mương thủy lợi bị bồi lấp", "sạt lở taluy đường",
			"đèn chiếu sáng công cộng", "bê tông hóa đường ngõ xóm", "đường đến trường của học sinh",
			"xe quá tải làm hỏng đường", "ngập úng khu dân cư", "cống thoát nước"},
		titles: []string{"Kiến nghị {subject} tại {commune}", "Bao giờ có {subject}", "Đề nghị xem xét {subject}",
			"Phản ánh về {subject} ở {district}", "{subject} tại {village} chưa được giải quyết",
			"Xin hỏi kế hoạch {subject} năm {year}"},
		context: []string{
			"Đoạn đường dài khoảng {n} km từ {village} ra trung tâm xã bị hư hỏng nặng, mùa mưa xe máy không đi được.",
			"Người dân đã góp {money} đồng và ngày công để làm đường nhưng đến nay công trình vẫn dở dang.",
			"Cây cầu tạm bằng tre qua suối bị lũ cuốn trôi từ tháng {month}, học sinh phải lội suối đến trường.",
			"Thôn tôi có {n} hộ nhưng vẫn chưa có điện lưới quốc gia, người dân phải dùng máy phát điện nhỏ.",
			"Nguồn nước sinh hoạt bị nhiễm phèn, gia đình phải mua nước bình để nấu ăn.",
			"Mương thủy lợi bị đất đá bồi lấp sau đợt mưa lớn, {area} m² lúa của các hộ không có nước tưới.",
			"Taluy dương đoạn qua {village} bị sạt lở, đất đá tràn xuống mặt đường rất nguy hiểm.",
			"Xe chở vật liệu quá tải chạy suốt ngày đêm làm đường bê tông của thôn bị nứt vỡ.",
		},
		asks: []string{
			"Đề nghị chính quyền sớm có kế hoạch sửa chữa để người dân đi lại an toàn.",
			"Xin hỏi công trình này đã có trong kế hoạch đầu tư chưa, bao giờ thi công?",
			"Trách nhiệm khắc phục thuộc về cơ quan nào?",
			"Kính mong các cấp quan tâm bố trí kinh phí hỗ trợ.",
			"Người dân có được hỗ trợ khi góp đất làm đường không?",
		},
		offices: []string{"UBND {commune}", "Phòng Kinh tế và Hạ tầng {district}", "Sở Giao thông vận tải tỉnh {province}",
			"Công ty Điện lực {province}", "Trung tâm Nước sạch và Vệ sinh môi trường nông thôn tỉnh {province}"},
		laws: []string{"Luật Giao thông đường bộ", "Luật Đầu tư công năm 2024", "Chương trình mục tiêu quốc gia xây dựng nông thôn mới"},
		answers: []string{
			"Công trình đã được đưa vào danh mục đầu tư trung hạn và dự kiến khởi công trong quý {quarter} năm {year}.",
			"Căn cứ {law}, UBND huyện đã giao đơn vị quản lý đường bộ khẩn trương khắc phục điểm sạt lở, bảo đảm giao thông.",
			"Theo {law}, việc đầu tư hạ tầng thôn, bản được thực hiện theo thứ tự ưu tiên do người dân bình chọn.",
			"Đơn vị điện lực đã khảo sát và lập phương án cấp điện cho {n} hộ, dự kiến đóng điện trong năm {year}.",
		},
	},
	{
		category: "y-te-giao-duc", weight: 20,
		subjects: []string{"học bổng cho học sinh dân tộc thiểu số", "miễn giảm học phí", "hỗ trợ học sinh bán trú",
			"tiêm chủng mở rộng cho trẻ em", "khám chữa bệnh bảo hiểm y tế đúng tuyến", "thiếu bác sĩ ở trạm y tế xã",
			"tuyển dụng giáo viên hợp đồng", "xây phòng học cho điểm trường", "hỗ trợ chi phí học tập",
			"chuyển tuyến bệnh viện", "thuốc bảo hiểm y tế", "học bổng cho sinh viên nghèo"},
		titles: []string{"Hỏi về {subject}", "Con tôi có được {subject} không", "Chậm chi trả {subject} tại {district}",
			"Phản ánh tình trạng {subject} ở {commune}", "Thủ tục {subject} năm học {year}", "Đề nghị giải quyết {subject}"},
		context: []string{
			"Con tôi đang học lớp {grade} tại trường phổ thông dân tộc bán trú của {district}.",
			"Gia đình tôi thuộc hộ nghèo, có {n} con đang đi học, chi phí học tập rất lớn so với thu nhập.",
			"Từ đầu năm học đến nay nhà trường chưa chi trả tiền hỗ trợ gạo và tiền ăn cho học sinh.",
			"Trạm y tế xã chỉ có {n} cán bộ, không có bác sĩ, người dân phải đi hơn {km} km lên bệnh viện huyện.",
			"Khi đi khám tại bệnh viện tỉnh, tôi phải tự chi trả toàn bộ tiền thuốc vì không có giấy chuyển tuyến.",
			"Tôi đã dạy hợp đồng tại điểm trường {village} được {n} năm nhưng chưa được xét tuyển vào biên chế.",
			"Điểm trường {village} có {n} lớp học tạm bằng gỗ, mùa đông học sinh phải học trong giá rét.",
			"Cháu bé nhà tôi {months} tháng tuổi nhưng trạm y tế báo hết vắc xin, chưa tiêm được mũi tiếp theo.",
		},
		asks: []string{
			"Xin hỏi con tôi có thuộc đối tượng được hưởng chính sách này không?",
			"Mức hỗ trợ một tháng là bao nhiêu và nhà trường chi trả vào thời gian nào?",
			"Tôi phải làm thủ tục gì để được thanh toán bảo hiểm y tế?",
			"Đề nghị ngành y tế sớm bố trí bác sĩ về công tác tại trạm y tế xã.",
			"Kính mong cơ quan chức năng xem xét, giải quyết.",
		},
		offices: []string{"Phòng Giáo dục và Đào tạo {district}", "Trung tâm Y tế {district}", "Sở Giáo dục và Đào tạo tỉnh {province}",
			"Sở Y tế tỉnh {province}", "UBND {commune}"},
		laws: []string{"Nghị định số 81/2021/NĐ-CP về học phí", "Nghị định số 116/2016/NĐ-CP về hỗ trợ học sinh",
			"Luật Bảo hiểm y tế", "Luật Khám bệnh, chữa bệnh năm 2023", "Luật Giáo dục năm 2019"},
		answers: []string{
			"Căn cứ {law}, học sinh thuộc hộ nghèo ở xã đặc biệt khó khăn được miễn học phí và hỗ trợ chi phí học tập {money} đồng một tháng.",
			"Theo {law}, người có thẻ bảo hiểm y tế đi khám không đúng tuyến được quỹ thanh toán theo tỷ lệ quy định đối với điều trị nội trú.",
			"Sở đã đề nghị UBND tỉnh bố trí kinh phí và chỉ đạo nhà trường chi trả dứt điểm trong tháng {month}.",
			"Trung tâm Y tế huyện đã điều động luân phiên bác sĩ về trạm y tế xã khám bệnh {n} ngày mỗi tuần.",
		},
	},
	{
		category: "khac", weight: 10,
		subjects: []string{"đăng ký khai sinh cho con", "cấp căn cước công dân", "đăng ký thường trú", "giấy phép xây dựng nhà ở",
			"thuế hộ kinh doanh", "ô nhiễm môi trường từ trại chăn nuôi", "tiếng ồn của xưởng sản xuất",
			"xác nhận tình trạng hôn nhân", "trật tự an ninh thôn xóm", "chứng thực giấy tờ", "đăng ký kết hôn"},
		titles: []string{"Hỏi về {subject}", "Thủ tục {subject} tại {commune}", "Phản ánh {subject} ở {village}",
			"Vướng mắc khi làm {subject}", "Đề nghị xử lý {subject}"},
		context: []string{
			"Con tôi sinh năm {year} tại nhà, không có giấy chứng sinh nên chưa làm được khai sinh.",
			"Tôi đã làm thủ tục cấp căn cước từ tháng {month} nhưng đến nay chưa nhận được thẻ.",
			"Trại chăn nuôi lợn cách nhà tôi khoảng {n} mét xả nước thải ra mương, mùi hôi rất nặng.",
			"Xưởng sản xuất gần khu dân cư hoạt động cả ban đêm, gây tiếng ồn ảnh hưởng đến sinh hoạt của {n} hộ.",
			"Gia đình tôi mở cửa hàng tạp hóa nhỏ, doanh thu khoảng {money} đồng một năm.",
			"Tôi muốn xây nhà hai tầng trên thửa đất {area} m² của gia đình ở {village}.",
		},
		asks: []string{
			"Xin hỏi tôi cần chuẩn bị giấy tờ gì?",
			"Đề nghị cơ quan chức năng kiểm tra, xử lý dứt điểm.",
			"Trường hợp này có phải nộp thuế không?",
			"Thời gian giải quyết là bao lâu?",
		},
		offices: []string{"UBND {commune}", "Công an {district}", "Chi cục Thuế {district}", "Phòng Tư pháp {district}"},
		laws: []string{"Luật Hộ tịch năm 2014", "Luật Căn cước năm 2023", "Luật Cư trú năm 2020", "Luật Bảo vệ môi trường năm 2020",
			"Luật Xây dựng"},
		answers: []string{
			"Căn cứ {law}, hồ sơ nộp tại UBND cấp xã nơi cư trú và được giải quyết ngay trong ngày nếu đầy đủ giấy tờ.",
			"UBND xã đã phối hợp với phòng chuyên môn kiểm tra, lập biên bản và yêu cầu cơ sở khắc phục trong {n} ngày.",
			"Theo {law}, hộ kinh doanh có doanh thu từ 100 triệu đồng một năm trở xuống không phải nộp thuế giá trị gia tăng.",
		},
	},
}

// rarePlaces are communes whose names occur in only a handful of
// questions; searching them unaccented is the "rare" search of the
// benchmark. At least one syllable of each occurs nowhere else in the
// generated text (vietnamese_test.go checks it).
var rarePlaces = []string{"Lũng Cú", "Sà Phìn", "Bát Xát", "Pả Vi", "Mường Nhé", "Chiềng Khoa", "Đăk Glei", "Ea Súp"}

// rareEvery places one question about a rare place every so many rows.
func rareEvery(n int) int {
	every := n / (len(rarePlaces) * 12) // about 12 questions per rare place
	return max(every, 1)
}

// Question statuses and their shares, per mille.
type statusShare struct {
	status, visibility string
	perMille           int
}

var statusShares = []statusShare{
	{"published", "public", 500},
	{"answered", "public", 380},
	{"closed", "public", 20},
	{"pending", "public", 50},
	{"rejected", "public", 20},
	{"answered", "private", 20},
	{"pending", "private", 10},
}

// genQuestion is one generated question (and what its page shows).
type genQuestion struct {
	topic      int
	title      string
	body       string
	bodyHTML   string
	kind       string
	visibility string
	status     string
	province   string
	district   string
	commune    string
	authorName string
	contact    string
	consent    bool
	votes      int32
	views      int64
	createdAt  time.Time
	published  *time.Time
	answered   *time.Time
	answer     string // the official answer, when answered or closed
	office     string
	replies    []string // citizens' published replies
}

type textGen struct {
	r     *rand.Rand
	total int // questions in the whole run, to spread creation times
	// the current question's places and people, so sentences agree
	vars map[string]string
}

// newTextGen returns a generator for one chunk of the run: chunks are
// independent, so that several COPY streams produce the same questions as
// one would.
func newTextGen(seed, chunk uint64, total int) *textGen {
	return &textGen{r: rand.New(rand.NewPCG(seed, chunk)), total: total, vars: map[string]string{}}
}

func (g *textGen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *textGen) placeName() string { return g.pick(placeHead) + " " + g.pick(placeTail) }

func (g *textGen) person() string {
	return g.pick(surnames) + " " + g.pick(middles) + " " + g.pick(givens)
}

// money is an amount in dong, written the Vietnamese way (1.500.000).
func (g *textGen) money() string {
	v := (g.r.IntN(60) + 1) * 50000
	s := strconv.Itoa(v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// expand fills {slot}s from g.vars, drawing fresh numbers where a slot is
// a number.
func (g *textGen) expand(t string) string {
	if strings.IndexByte(t, '{') < 0 {
		return t
	}
	var b strings.Builder
	b.Grow(len(t) + 32)
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			break
		}
		j := strings.IndexByte(t[i:], '}')
		b.WriteString(t[:i])
		name := t[i+1 : i+j]
		t = t[i+j+1:]
		switch name {
		case "year":
			b.WriteString(strconv.Itoa(2005 + g.r.IntN(21)))
		case "birth":
			b.WriteString(strconv.Itoa(1950 + g.r.IntN(50)))
		case "month":
			b.WriteString(strconv.Itoa(1 + g.r.IntN(12)))
		case "quarter":
			b.WriteString([]string{"I", "II", "III", "IV"}[g.r.IntN(4)])
		case "n":
			b.WriteString(strconv.Itoa(2 + g.r.IntN(30)))
		case "km":
			b.WriteString(strconv.Itoa(5 + g.r.IntN(60)))
		case "oldage":
			b.WriteString(strconv.Itoa(60 + g.r.IntN(36)))
		case "months":
			b.WriteString(strconv.Itoa(2 + g.r.IntN(23)))
		case "grade":
			b.WriteString(strconv.Itoa(1 + g.r.IntN(12)))
		case "area":
			b.WriteString(strconv.Itoa((g.r.IntN(60) + 1) * 25))
		case "money":
			b.WriteString(g.money())
		case "work":
			b.WriteString(g.pick(works))
		default:
			b.WriteString(g.vars[name])
		}
	}
	return b.String()
}

// question generates row i; rare is the index of a rare place to use, or -1.
func (g *textGen) question(i int, rare int, now time.Time) genQuestion {
	var q genQuestion
	w := g.r.IntN(100)
	for ti, t := range topics {
		if w < t.weight {
			q.topic = ti
			break
		}
		w -= t.weight
	}
	t := &topics[q.topic]
	q.province = g.pick(provinces)
	q.district = "huyện " + g.placeName()
	q.commune = "xã " + g.placeName()
	if rare >= 0 {
		q.commune = "xã " + rarePlaces[rare]
	}
	hon := g.pick(honorifics)
	name := g.person()
	g.vars["province"], g.vars["district"], g.vars["commune"] = q.province, q.district, q.commune
	g.vars["village"] = g.pick([]string{"thôn ", "bản ", "xóm "}) + g.pick(villages)
	g.vars["name"], g.vars["hon"] = name, hon
	g.vars["subject"] = g.pick(t.subjects)
	g.vars["law"] = g.pick(t.laws)
	q.office = g.expand(g.pick(t.offices))
	g.vars["office"] = q.office

	title := g.expand(g.pick(t.titles))
	r, size := utf8.DecodeRuneInString(title) // titles start with a capital; {subject} may not
	q.title = string(unicode.ToUpper(r)) + title[size:]
	if g.r.IntN(3) == 0 {
		q.title += "?"
	}

	// Paragraphs: greeting and introduction, the situation, the question.
	var paras []string
	var p1 []string
	if s := g.expand(g.pick(greetings)); s != "" {
		p1 = append(p1, s)
	}
	p1 = append(p1, g.expand(g.pick(selfIntro)))
	paras = append(paras, strings.Join(p1, " "))
	ctx := g.r.Perm(len(t.context))[:2+g.r.IntN(2)]
	var p2 []string
	for _, k := range ctx {
		p2 = append(p2, g.expand(t.context[k]))
	}
	if g.r.IntN(2) == 0 {
		paras = append(paras, strings.Join(p2, " "))
	} else {
		paras = append(paras, p2[0], strings.Join(p2[1:], " "))
	}
	p3 := g.expand(g.pick(t.asks))
	if g.r.IntN(2) == 0 {
		p3 += " " + g.expand(g.pick(t.asks))
	}
	if s := g.expand(g.pick(closings)); s != "" {
		p3 += " " + s
	}
	paras = append(paras, p3)
	q.body = strings.Join(paras, "\n\n")
	q.bodyHTML = paragraphsHTML(paras)

	q.kind = "question"
	if k := g.r.IntN(20); k == 0 {
		q.kind = "feedback"
	}
	pm := g.r.IntN(1000)
	if rare >= 0 {
		pm = 0 // rare-place questions are public, so the rare search finds them
	}
	for _, s := range statusShares {
		if pm < s.perMille {
			q.status, q.visibility = s.status, s.visibility
			break
		}
		pm -= s.perMille
	}
	if q.visibility == "private" && g.r.IntN(2) == 0 {
		q.kind = "complaint"
	}
	if g.r.IntN(5) < 3 {
		q.authorName, q.consent = name, true
		if g.r.IntN(3) == 0 {
			q.contact = "09" + strconv.Itoa(10000000+g.r.IntN(90000000))
		}
	}

	// Three years of questions, oldest first, so ids grow with time.
	const span = 3 * 365 * 24 * time.Hour
	q.createdAt = now.Add(-span + time.Duration(float64(span)*float64(i)/float64(max(1, g.total)))).
		Add(-time.Duration(g.r.IntN(3600)) * time.Second).Truncate(time.Second)
	if q.status != "pending" && q.status != "rejected" {
		p := q.createdAt.Add(time.Duration(1+g.r.IntN(48)) * time.Hour)
		q.published = &p
		q.votes = int32(g.r.ExpFloat64() * 3)
		q.views = int64(g.r.ExpFloat64() * 120)
	}
	if q.status == "answered" || q.status == "closed" {
		a := q.published.Add(time.Duration(1+g.r.IntN(30*24)) * time.Hour)
		if a.After(now) {
			a = now.Add(-time.Minute)
		}
		q.answered = &a
		g.vars["hon"] = hon
		ans := []string{g.expand(g.pick(answerOpen))}
		for _, k := range g.r.Perm(len(t.answers))[:2] {
			ans = append(ans, g.expand(t.answers[k]))
		}
		ans = append(ans, g.expand(g.pick(answerClose)))
		q.answer = strings.Join(ans, "\n\n")
	}
	if q.visibility == "public" && q.published != nil && g.r.IntN(100) < 15 {
		for range 1 + g.r.IntN(2) {
			g.vars["hon"] = g.pick(honorifics)
			q.replies = append(q.replies, g.expand(g.pick(citizenReplies)))
		}
	}
	return q
}

// paragraphsHTML is what forum.RenderMarkdown makes of plain paragraphs
// (checked on a sample while loading). The generated text holds no
// character that needs escaping.
func paragraphsHTML(paras []string) string {
	var b strings.Builder
	for _, p := range paras {
		b.WriteString("<p>")
		b.WriteString(p)
		b.WriteString("</p>\n")
	}
	return b.String()
}

// trackingCode maps i one-to-one onto 8 characters of the tracking-code
// alphabet (32 letters, 5 bits each): an odd multiplier is a bijection
// modulo 2^40, so a million codes never collide and still look random.
func trackingCode(i uint64) string {
	x := (i*codeMul + codeAdd) & codeMask
	var b [8]byte
	for k := 7; k >= 0; k-- {
		b[k] = codeAlphabet[x&31]
		x >>= 5
	}
	return string(b[:])
}

const (
	codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	codeMul      = 0x9E3779B97F4A7C15
	codeAdd      = 0x1234567
	codeMask     = 1<<40 - 1
)

// codeIndex inverts trackingCode: the generation index of a code.
func codeIndex(code string) (uint64, bool) {
	if len(code) != 8 {
		return 0, false
	}
	var x uint64
	for k := range 8 {
		v := strings.IndexByte(codeAlphabet, code[k])
		if v < 0 {
			return 0, false
		}
		x = x<<5 | uint64(v)
	}
	inv := uint64(codeMul) // Newton's iteration doubles the correct low bits each step
	for range 6 {
		inv *= 2 - codeMul*inv
	}
	return ((x - codeAdd) * inv) & codeMask, true
}
