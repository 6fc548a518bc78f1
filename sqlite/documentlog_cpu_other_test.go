//go:build !unix

package sqlite

import (
	"testing"
	"time"
)

// processCPU is not measured here: benchmarks report no CPU time.
func processCPU(b *testing.B) time.Duration { return 0 }
