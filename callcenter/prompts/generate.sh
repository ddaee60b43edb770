#!/usr/bin/env bash
# Regenerates the default hotline prompts (8 kHz mono 16-bit WAV) with
# espeak-ng and sox. The output is committed, so this only runs when a text
# changes. Admins replace these with recorded voice by putting files of the
# same names under HOTLINE_PROMPTS_DIR/<lang>/.
#
#   apt-get install espeak-ng sox   # Debian/Ubuntu
#   callcenter/prompts/generate.sh
set -euo pipefail
cd "$(dirname "$0")"
command -v espeak-ng >/dev/null || { echo "missing espeak-ng: apt-get install espeak-ng" >&2; exit 1; }
command -v sox >/dev/null || { echo "missing sox: apt-get install sox" >&2; exit 1; }

# Trim espeak's leading and trailing silence and keep a short pause after
# each prompt, so digits read back at a natural pace.
trim="silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse pad 0 0.15"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# say LANG NAME TEXT [VOICE]: speak TEXT and store it as LANG/NAME.wav.
say() {
	local lang=$1 name=$2 text=$3 voice=${4:-$1}
	mkdir -p "$lang"
	espeak-ng -v "$voice" -s 140 -w "$tmp/raw.wav" "$text"
	sox "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$tmp/out.wav" norm -3 $trim
	mv "$tmp/out.wav" "$lang/$name.wav"
}

say vi greeting "Xin chào. Bạn đã gọi đến đường dây nóng Đối Thoại."
say vi topic_menu "Về đất đai, bấm phím 1. Về chính sách xã hội, bấm phím 2. Các vấn đề khác, bấm phím 3."
say vi consent "Câu hỏi của bạn sẽ được ghi âm, và chỉ dùng để trả lời bạn. Nếu bạn đồng ý, xin bấm một phím bất kỳ."
say vi hold "Xin vui lòng giữ máy. Vị trí của bạn trong hàng chờ là"
say vi voicemail "Sau tiếng bíp, xin nói câu hỏi của bạn. Nói xong, bấm phím thăng."
say vi out_of_hours "Hiện đã ngoài giờ làm việc. Xin để lại câu hỏi, chúng tôi sẽ gọi lại cho bạn vào sáng ngày làm việc tiếp theo."
say vi ticket_number "Số phiếu của bạn là"
say vi goodbye "Cảm ơn bạn đã gọi. Xin chào."
say vi invalid "Lựa chọn không hợp lệ."
say vi live_offer "Một buổi giao lưu trực tuyến với lãnh đạo đang diễn ra. Để đặt câu hỏi cho lãnh đạo, bấm phím 9. Để tiếp tục, xin chờ."
say vi live_notify "Nếu muốn nhận câu trả lời qua tin nhắn, bấm phím 1. Nếu chỉ cần gọi lại, bấm phím 2."
say vi live_record "Sau tiếng bíp, xin nói câu hỏi gửi lãnh đạo. Nói xong, bấm phím thăng."
say vi live_thanks "Câu hỏi của bạn đã được gửi tới buổi giao lưu. Khi lãnh đạo trả lời, chúng tôi sẽ gọi lại cho bạn. Mã câu hỏi của bạn là"
i=0
for d in không một hai ba bốn năm sáu bảy tám chín; do
	say vi "digit_$i" "$d"
	i=$((i + 1))
done

# The caller's case: SMS news, status by phone (ivr_notify.go, ivr_status.go).
say vi notify_ask "Nếu bạn muốn nhận tin nhắn khi có tin về câu hỏi này, bấm phím 1. Nếu không, bấm phím 2."
say vi status_hint "Để nghe tình trạng một phiếu đã gửi, bấm phím sao."
say vi status_enter "Xin bấm số phiếu, rồi bấm phím thăng."
say vi status_not_found "Không tìm thấy phiếu có số này."
say vi status_too_many "Bạn đã tra cứu quá nhiều lần. Xin gọi lại sau."
say vi status_received "Phiếu của bạn đã được tiếp nhận và đang chờ xử lý."
say vi status_in_review "Phiếu của bạn đang được cán bộ xem xét."
say vi status_info "Cán bộ cần bạn cung cấp thêm thông tin về phiếu này."
say vi status_answered "Phiếu của bạn đã có câu trả lời."
say vi status_rejected "Phiếu của bạn không được tiếp nhận. Lý do đã được gửi trên trang tra cứu."
say vi status_due "Hạn trả lời là ngày"
say vi month "tháng"
say vi answer_follows "Sau đây là câu trả lời của cán bộ."
say vi callback_pending "Cán bộ sẽ gọi lại cho bạn để trả lời."
say vi callback_done "Cán bộ đã gọi lại cho bạn để trả lời."
say vi status_next "Để để lại lời nhắn về phiếu này, bấm phím 1. Để quay lại thực đơn chính, bấm phím khác."

say en greeting "Hello. You have reached the Doi Thoai hotline."
say en topic_menu "For land, press 1. For social policy, press 2. For other questions, press 3."
say en consent "Your question will be recorded, and used only to answer you. If you agree, please press any key."
say en hold "Please hold. Your position in the queue is"
say en voicemail "After the tone, please say your question. When you are done, press the hash key."
say en out_of_hours "We are closed now. Please leave your question, and we will call you back on the next working morning."
say en ticket_number "Your ticket number is"
say en goodbye "Thank you for calling. Goodbye."
say en invalid "That choice is not valid."
say en live_offer "A live dialogue with the leaders is on now. To ask the leaders a question, press 9. To go on, please wait."
say en live_notify "To get the answer by text message too, press 1. For a call back only, press 2."
say en live_record "After the tone, please say your question for the leaders. When you are done, press the hash key."
say en live_thanks "Your question has been sent to the live dialogue. When the leaders answer, we will call you back. Your question code is"
i=0
for d in zero one two three four five six seven eight nine; do
	say en "digit_$i" "$d"
	i=$((i + 1))
done
say en notify_ask "If you want a text message when there is news about this question, press 1. If not, press 2."
say en status_hint "To hear the status of a ticket, press the star key."
say en status_enter "Please type the ticket number, then press the hash key."
say en status_not_found "No ticket has this number."
say en status_too_many "You have looked up too many tickets. Please call again later."
say en status_received "Your ticket has been received and is waiting to be handled."
say en status_in_review "Your ticket is being reviewed."
say en status_info "We need more information from you about this ticket."
say en status_answered "Your ticket has an answer."
say en status_rejected "Your ticket was not accepted. The reason is on the tracking page."
say en status_due "The answer is due on day"
say en month "month"
say en answer_follows "Here is the answer."
say en callback_pending "An operator will call you back with the answer."
say en callback_done "An operator has called you back with the answer."
say en status_next "To leave a message about this ticket, press 1. To go back to the main menu, press any other key."

# The language menu is built at call time from the active languages: each
# language's language_menu clip says "for <language>, press <its key>" in
# that language, and the clips are played one after another. The minority
# languages ship with the name spoken in Vietnamese until a province records
# its own (callcenter/OPERATIONS.md); their keys match the seeded ones
# (migrations/00063_hotline_languages.sql).
say vi language_menu "Để nghe tiếng Việt, bấm phím 1."
say en language_menu "For English, press 2."
say hmn language_menu "Tiếng H'Mông, bấm phím 3." vi
say tay language_menu "Tiếng Tày, bấm phím 4." vi
say tha language_menu "Tiếng Thái, bấm phím 5." vi
say km language_menu "Tiếng Khmer, bấm phím 6." vi
say dao language_menu "Tiếng Dao, bấm phím 7." vi

# Staff line (HOTLINE_STAFF_NUMBERS): recording prompts by phone. Not in
# PromptNames: they are for staff, not callers, and are not recorded.
say vi staff_pin "Đường dây cán bộ. Xin nhập mã PIN, rồi bấm phím thăng."
say vi staff_language "Chọn ngôn ngữ: bấm phím của ngôn ngữ trong thực đơn ngôn ngữ."
say vi staff_prompt "Nhập số của lời nhắc cần ghi âm, rồi bấm phím thăng."
say vi staff_record "Sau tiếng bíp, xin đọc lời nhắc. Đọc xong, bấm phím thăng."
say vi staff_review "Để lưu, bấm phím 1. Để ghi lại, bấm phím 2."
say vi staff_saved "Đã lưu. Cuộc gọi tiếp theo sẽ nghe lời nhắc này."
say en staff_pin "Staff line. Please enter your PIN, then press hash."
say en staff_language "Choose a language: press its key in the language menu."
say en staff_prompt "Enter the number of the prompt to record, then press hash."
say en staff_record "After the tone, say the prompt. When you are done, press hash."
say en staff_review "To save, press 1. To record again, press 2."
say en staff_saved "Saved. The next call will hear this prompt."

echo "prompts written under $(pwd)"

