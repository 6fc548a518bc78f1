package yjs

import (
	"math/rand/v2"
	"testing"
)

// TestJSSortMatchesV8 sorts with random, inconsistent comparators in Go
// and in Node: the results must be the same permutation.
func TestJSSortMatchesV8(t *testing.T) {
	p := yjsPeer(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 60; round++ {
		n := 1 + rng.IntN(20)
		if round%4 == 3 {
			n = 60 + rng.IntN(200)
		}
		table := make([][]int, n)
		for i := range table {
			table[i] = make([]int, n)
			for j := range table[i] {
				table[i][j] = rng.IntN(3) - 1
			}
		}
		values := make([]int, n)
		for i := range values {
			values[i] = i
		}
		rng.Shuffle(n, func(i, j int) { values[i], values[j] = values[j], values[i] })
		var want []int
		if err := p.call("sort", map[string]any{"values": values, "table": table}, &want); err != nil {
			t.Fatal(err)
		}
		got := append([]int(nil), values...)
		jsSort(got, func(x, y int) int { return table[x][y] })
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("round %d (n=%d): got %v, V8 %v", round, n, got, want)
			}
		}
	}
}
