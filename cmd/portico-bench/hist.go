package main

import (
	"math/bits"
	"time"
)

// hist is a latency histogram with log-linear buckets: exact below 128 ns,
// then 64 buckets per power of two, so a quantile is within 1.6% of the
// true value. Each load goroutine fills its own and they are merged at
// the end; it never allocates while recording.
type hist struct {
	counts [histBuckets]uint64
	n      uint64
}

const (
	histSubBits = 6
	histSub     = 1 << histSubBits // buckets per power of two
	histExact   = 2 * histSub      // values below this have a bucket each
	histMaxExp  = 40               // values up to 2^40 ns (about 18 minutes)
	histBuckets = histExact + histMaxExp*histSub
)

func histIndex(v uint64) int {
	if v < histExact {
		return int(v)
	}
	shift := bits.Len64(v) - (histSubBits + 1)
	if shift > histMaxExp {
		return histBuckets - 1
	}
	top := v >> uint(shift) // in [histSub, 2*histSub)
	return histExact + (shift-1)*histSub + int(top-histSub)
}

// histValue is the middle of bucket i.
func histValue(i int) uint64 {
	if i < histExact {
		return uint64(i)
	}
	shift := (i-histExact)/histSub + 1
	top := uint64((i-histExact)%histSub + histSub)
	lo := top << uint(shift)
	return lo + (uint64(1)<<uint(shift))/2
}

func (h *hist) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d))]++
	h.n++
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile returns the value below which a share q (0 < q ≤ 1) of the
// recorded values lie; 0 when nothing was recorded.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(histValue(i))
		}
	}
	return time.Duration(histValue(histBuckets - 1))
}
