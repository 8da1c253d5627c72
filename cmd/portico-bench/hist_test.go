package main

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

func TestHistIndexMonotonic(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<22; v += 1 + v/97 {
		i := histIndex(v)
		if i < prev {
			t.Fatalf("histIndex(%d) = %d, below histIndex of a smaller value (%d)", v, i, prev)
		}
		prev = i
		mid := histValue(i)
		if diff := float64(mid) - float64(v); diff > float64(v)/60+1 || -diff > float64(v)/60+1 {
			t.Fatalf("histValue(histIndex(%d)) = %d: more than 1.6%% off", v, mid)
		}
	}
	if got := histIndex(1 << 62); got != histBuckets-1 {
		t.Errorf("histIndex(2^62) = %d; want the last bucket %d", got, histBuckets-1)
	}
}

func TestHistQuantiles(t *testing.T) {
	var h hist
	if got := h.quantile(0.5); got != 0 {
		t.Errorf("empty quantile = %v; want 0", got)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	var parts [4]hist
	for i := range 100000 {
		d := time.Duration(r.ExpFloat64() * float64(200*time.Microsecond))
		all = append(all, d)
		parts[i%4].record(d)
	}
	for i := range parts {
		h.merge(&parts[i])
	}
	if h.n != uint64(len(all)) {
		t.Fatalf("merged n = %d; want %d", h.n, len(all))
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := all[int(q*float64(len(all)))-1]
		got := h.quantile(q)
		if diff := float64(got-want) / float64(want); diff > 0.02 || diff < -0.02 {
			t.Errorf("quantile(%v) = %v; want %v within 2%%", q, got, want)
		}
	}
}
