//go:build linux

package netnstest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Listener is an echo server in a lab namespace, for [Netns.ProbeTCP] and
// [Netns.ProbeUDP]. It listens on every address of the namespace, IPv4 and
// IPv6, and echoes what it receives. The lab closes it at cleanup.
type Listener struct {
	proto string
	port  uint16
	count atomic.Int64
	lab   *Lab

	tcp net.Listener
	udp *net.UDPConn

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// echoIdle bounds how long an echo connection may stay idle.
const echoIdle = 10 * time.Second

// ListenTCP starts a TCP echo server on port in the namespace; port 0 picks a
// free port (see [Listener.Port]).
func (n *Netns) ListenTCP(port uint16) (*Listener, error) { return n.listen("tcp", port) }

// ListenUDP starts a UDP echo server on port in the namespace; port 0 picks a
// free port (see [Listener.Port]).
func (n *Netns) ListenUDP(port uint16) (*Listener, error) { return n.listen("udp", port) }

func (n *Netns) listen(proto string, port uint16) (*Listener, error) {
	l := &Listener{proto: proto, conns: make(map[net.Conn]struct{}), lab: n.lab}
	// ":port" is a dual-stack socket: IPv4 and IPv6.
	addr := fmt.Sprintf(":%d", port)
	err := n.Do(func() (err error) {
		if proto == "tcp" {
			l.tcp, err = net.Listen("tcp", addr)
		} else {
			var c net.PacketConn
			c, err = net.ListenPacket("udp", addr)
			if err == nil {
				l.udp = c.(*net.UDPConn)
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("netnstest: listen %s/%d in %s: %w", proto, port, n.label(), err)
	}
	serve := l.serveUDP
	if l.tcp != nil {
		l.port = uint16(l.tcp.Addr().(*net.TCPAddr).Port)
		serve = l.serveTCP
	} else {
		l.port = uint16(l.udp.LocalAddr().(*net.UDPAddr).Port)
	}
	if err := l.register(); err != nil {
		return nil, err
	}
	l.wg.Add(1)
	go serve()
	return l, nil
}

func (l *Listener) register() error {
	if l.lab == nil {
		return nil
	}
	if err := l.lab.track(l); err != nil {
		_ = l.closeSocket()
		return err
	}
	return nil
}

// Port returns the port the listener is bound to.
func (l *Listener) Port() uint16 { return l.port }

// Count returns how many TCP connections were accepted or UDP datagrams
// received so far.
func (l *Listener) Count() int { return int(l.count.Load()) }

// Close stops the server and closes its connections.
func (l *Listener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	for c := range l.conns {
		_ = c.Close()
	}
	l.mu.Unlock()
	err := l.closeSocket()
	l.wg.Wait()
	if l.lab != nil {
		l.lab.untrack(l)
	}
	return err
}

func (l *Listener) closeSocket() error {
	if l.tcp != nil {
		return l.tcp.Close()
	}
	return l.udp.Close()
}

func (l *Listener) serveTCP() {
	defer l.wg.Done()
	for {
		c, err := l.tcp.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // a transient error (e.g. ECONNABORTED)
			continue
		}
		l.count.Add(1)
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			_ = c.Close()
			return
		}
		l.conns[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		go func() {
			defer l.wg.Done()
			_ = c.SetDeadline(time.Now().Add(echoIdle))
			_, _ = io.Copy(c, c)
			_ = c.Close()
			l.mu.Lock()
			delete(l.conns, c)
			l.mu.Unlock()
		}()
	}
}

func (l *Listener) serveUDP() {
	defer l.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, from, err := l.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // e.g. ECONNREFUSED left by an earlier reply
		}
		l.count.Add(1)
		_, _ = l.udp.WriteToUDPAddrPort(buf[:n], from)
	}
}
