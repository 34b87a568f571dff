package audit

import (
	"errors"
	"os"
	"syscall"
)

// fallocKeepSize is FALLOC_FL_KEEP_SIZE: blocks are reserved past the end
// of the file without changing its length (the next records fill them).
const fallocKeepSize = 0x01

// reserve makes sure the file system holds n bytes for the file past off:
// a full disk fails with ENOSPC, without a byte of the trail changing.
// errNoReserve: the file system (or the file, a device) cannot say.
func reserve(f *os.File, off, n int64) error {
	err := syscall.Fallocate(int(f.Fd()), fallocKeepSize, off, n)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ESPIPE),
		errors.Is(err, syscall.ENOSYS), errors.Is(err, syscall.EINVAL), errors.Is(err, syscall.EBADF):
		return errNoReserve
	}
	return err
}
