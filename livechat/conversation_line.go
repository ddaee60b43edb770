package livechat

import (
	"context"

	"github.com/doithoai/doithoai/internal/identity"
)

// PostChatLine stores one line in conversation id exactly as a socket's
// send would: as the operator when operator is given (who must have
// accepted the conversation), else as its citizen. It is for tools that
// write a conversation without a socket, such as the demo seed.
func (s *Service) PostChatLine(ctx context.Context, id int64, operator *identity.User, body string) (Message, error) {
	role := "citizen"
	if operator != nil {
		role = "operator"
	}
	c := &Conn{user: operator, convOK: map[int64]string{id: role}}
	return s.sendChatLine(ctx, c, id, body, "")
}
