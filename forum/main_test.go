package forum

import (
	"testing"

	"github.com/doithoai/doithoai/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
