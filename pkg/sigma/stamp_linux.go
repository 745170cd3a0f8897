package sigma

import (
	"os"
	"syscall"
)

// statStamp returns what the file system says of a file: its stamp, and
// when it last changed (the later of its modification and change times).
func statStamp(path string) (fileStamp, int64, bool) {
	info, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, 0, false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok || !info.Mode().IsRegular() {
		return fileStamp{}, 0, false
	}
	s := fileStamp{
		Size:   st.Size,
		Mod:    st.Mtim.Nano(),
		Change: st.Ctim.Nano(),
		Dev:    uint64(st.Dev),
		Ino:    st.Ino,
	}
	return s, max(s.Mod, s.Change), true
}
