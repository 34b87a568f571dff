package demotest_test

import (
	"testing"

	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, demotest.Cleanup) }
