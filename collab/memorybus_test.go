package collab

import (
	"testing"

	tandem "github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/tandemtest"
)

func TestMemoryBus(t *testing.T) {
	tandemtest.TestDocumentBus(t, func(t *testing.T) (tandem.DocumentBus, tandem.DocumentBus) {
		h := NewMemoryHub()
		return h.Bus(), h.Bus()
	})
}
