package transport

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// alive reports whether c is still established: no FIN and no reset has
// arrived from the peer. It asks the kernel (TCP_INFO, tcp(7)) rather than
// reading, so it neither consumes nor waits for the records still buffered
// for the session. A connection whose state cannot be read counts as alive:
// refusing a newcomer is the safe side.
func alive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false // already closed on our side
	}
	state := uint8(unix.BPF_TCP_ESTABLISHED)
	if err := raw.Control(func(fd uintptr) {
		if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
			state = info.State
		}
	}); err != nil {
		return false // closed on our side
	}
	return state == unix.BPF_TCP_ESTABLISHED
}
