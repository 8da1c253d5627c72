package compat

import (
	"crypto/sha256"
	"encoding/hex"
)

func shaHex(p []byte) string {
	s := sha256.Sum256(p)
	return hex.EncodeToString(s[:])
}
