package probe

import (
	"errors"
	"io"
	"os"
	"syscall"
	"time"
)

// errTimeout is the probe's one deadline passing.
var errTimeout = errors.New("timeout")

// conn is a TCP connection on a non-blocking socket; every wait ends at
// the probe's deadline.
type conn struct {
	fd       int
	deadline time.Time
}

func (p prober) dial(u *ref) (*conn, error) {
	sa, err := u.addr()
	if err != nil {
		return nil, err
	}
	family := syscall.AF_INET
	if _, ok := sa.(*syscall.SockaddrInet6); ok {
		family = syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	c := &conn{fd: fd, deadline: p.deadline}
	err = syscall.Connect(fd, sa)
	if err == syscall.EINPROGRESS || err == syscall.EINTR || err == syscall.EAGAIN {
		if err = c.wait(true); err == nil {
			var soErr int
			if soErr, err = syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR); err == nil && soErr != 0 {
				err = syscall.Errno(soErr)
			}
		}
	}
	if err != nil {
		c.Close()
		if err != errTimeout {
			err = os.NewSyscallError("connect", err)
		}
		return nil, err
	}
	return c, nil
}

// wait blocks until the socket is writable (or readable) or the deadline
// passes.
func (c *conn) wait(write bool) error {
	for {
		left := time.Until(c.deadline)
		if left <= 0 {
			return errTimeout
		}
		var set syscall.FdSet
		set.Bits[c.fd/64] |= 1 << (uint(c.fd) % 64)
		tv := syscall.NsecToTimeval(left.Nanoseconds())
		var err error
		if write {
			_, err = syscall.Select(c.fd+1, nil, &set, nil, &tv)
		} else {
			_, err = syscall.Select(c.fd+1, &set, nil, nil, &tv)
		}
		switch {
		case err == syscall.EINTR:
		case err != nil:
			return os.NewSyscallError("select", err)
		case set.Bits[c.fd/64]&(1<<(uint(c.fd)%64)) != 0:
			return nil
		}
	}
}

func (c *conn) Read(b []byte) (int, error) {
	for {
		n, err := syscall.Read(c.fd, b)
		switch {
		case err == syscall.EAGAIN:
			if err := c.wait(false); err != nil {
				return 0, err
			}
		case err == syscall.EINTR:
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		default:
			return n, nil
		}
	}
}

func (c *conn) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := syscall.Write(c.fd, b[done:])
		switch {
		case err == syscall.EAGAIN:
			if err := c.wait(true); err != nil {
				return done, err
			}
		case err == syscall.EINTR:
		case err != nil:
			return done, os.NewSyscallError("write", err)
		default:
			done += n
		}
	}
	return done, nil
}

func (c *conn) Close() error { return syscall.Close(c.fd) }
