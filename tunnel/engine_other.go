//go:build !linux

package tunnel

// newEngine has no raw-socket engine outside Linux: every tunnel is
// copied by goroutines.
func newEngine() engine { return nil }
