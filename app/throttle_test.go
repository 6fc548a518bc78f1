package app_test

import (
	"testing"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
	"github.com/tandem-docs/tandem/tandemtest"
)

func TestMemoryThrottleContract(t *testing.T) {
	tandemtest.TestThrottle(t, func(t *testing.T, p tandem.ThrottlePolicy) (tandem.Throttle, tandem.Throttle) {
		th := app.NewMemoryThrottle(p)
		return th, th
	})
}
