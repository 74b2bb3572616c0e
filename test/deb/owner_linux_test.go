package deb_test

import (
	"os"
	"syscall"
)

// owner is a file's numeric owner and group.
func owner(fi os.FileInfo) (uid, gid int) {
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}
