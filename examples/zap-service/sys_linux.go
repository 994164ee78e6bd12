package main

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// segfault makes the process die of SIGSEGV, as a crash would. The Go runtime ignores a SIGSEGV that kill(2)
// sends (it only turns faults into panics), so the signal's disposition is first reset to SIG_DFL with a raw
// rt_sigaction: a zeroed struct sigaction is SIG_DFL on every 64-bit Linux.
func segfault() {
	var act [4]uint64
	_, _, _ = syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGSEGV), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	_ = syscall.Kill(os.Getpid(), syscall.SIGSEGV)
	time.Sleep(time.Second)
	os.Exit(139) // not reached: SIGSEGV's default action ends the process
}

const probeNames = "personality, uname, sysinfo, getpriority, mlock, pidfd_getfd"

// probe makes one syscall that a Go HTTP service does not need, for SystemCallFilter tests; it returns the errno
// (0 on success). With a filter that denies it, systemd kills the process (SIGSYS) or returns its error number.
func probe(name string) (int, bool) {
	var errno syscall.Errno
	switch name {
	case "personality":
		_, _, errno = syscall.RawSyscall(syscall.SYS_PERSONALITY, 0xffffffff, 0, 0)
	case "uname":
		var u syscall.Utsname
		_, _, errno = syscall.RawSyscall(syscall.SYS_UNAME, uintptr(unsafe.Pointer(&u)), 0, 0)
	case "sysinfo":
		var s syscall.Sysinfo_t
		_, _, errno = syscall.RawSyscall(syscall.SYS_SYSINFO, uintptr(unsafe.Pointer(&s)), 0, 0)
	case "getpriority":
		_, _, errno = syscall.RawSyscall(syscall.SYS_GETPRIORITY, 0, 0, 0)
	case "mlock":
		buf := make([]byte, 4096)
		_, _, errno = syscall.RawSyscall(syscall.SYS_MLOCK, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0)
		if errno == 0 {
			_, _, _ = syscall.RawSyscall(syscall.SYS_MUNLOCK, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0)
		}
	case "pidfd_getfd":
		// In systemd's @debug group, outside @system-service. pidfd_open(2) is 434 and pidfd_getfd(2) 438 on every
		// architecture (Linux 5.6 and later); taking a copy of one's own fd 0 needs no privilege.
		pidfd, _, e := syscall.RawSyscall(434, uintptr(os.Getpid()), 0, 0)
		if e != 0 {
			return int(e), true
		}
		fd, _, e := syscall.RawSyscall(438, pidfd, 0, 0)
		errno = e
		if e == 0 {
			_ = syscall.Close(int(fd))
		}
		_ = syscall.Close(int(pidfd))
	default:
		return 0, false
	}
	return int(errno), true
}
