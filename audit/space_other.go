//go:build !linux

package audit

import "os"

// reserve cannot tell on this system whether the disk has room.
func reserve(*os.File, int64, int64) error { return errNoReserve }
