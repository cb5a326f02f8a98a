package nftables

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/ebitengine/purego"
)

// libnftablesName is the shared library the nftables package installs.
const libnftablesName = "libnftables.so.1"

// libnft holds the libnftables functions, loaded once per process.
var libnft struct {
	once sync.Once
	err  error
	// mu serialises every call into the library.
	mu sync.Mutex

	ctxNew         func(flags uint32) uintptr
	ctxFree        func(ctx uintptr)
	bufferOutput   func(ctx uintptr) int32
	bufferError    func(ctx uintptr) int32
	getErrorBuffer func(ctx uintptr) string
	runCmd         func(ctx uintptr, buf string) int32
}

// loadLibnftables opens libnftables and looks up the functions the
// transport calls (all part of its stable API since nftables 0.9).
func loadLibnftables() error {
	libnft.once.Do(func() {
		lib, err := purego.Dlopen(libnftablesName, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			libnft.err = fmt.Errorf("loading %s: %w", libnftablesName, err)
			return
		}
		defer func() {
			if r := recover(); r != nil { // RegisterLibFunc panics on a missing symbol
				libnft.err = fmt.Errorf("%s: %v", libnftablesName, r)
			}
		}()
		purego.RegisterLibFunc(&libnft.ctxNew, lib, "nft_ctx_new")
		purego.RegisterLibFunc(&libnft.ctxFree, lib, "nft_ctx_free")
		purego.RegisterLibFunc(&libnft.bufferOutput, lib, "nft_ctx_buffer_output")
		purego.RegisterLibFunc(&libnft.bufferError, lib, "nft_ctx_buffer_error")
		purego.RegisterLibFunc(&libnft.getErrorBuffer, lib, "nft_ctx_get_error_buffer")
		purego.RegisterLibFunc(&libnft.runCmd, lib, "nft_run_cmd_from_buffer")
	})
	return libnft.err
}

// libTransport runs scripts through one libnftables context. Calls into
// libnftables are serialised process-wide (libnft.mu): a context is not
// thread-safe, and the library keeps some state, such as its interface
// cache, in globals.
type libTransport struct {
	// ctx is the nft context, 0 until the first run opens it (and its
	// netlink socket) in the calling thread's network namespace.
	ctx uintptr
	// cleanup frees ctx if the Backend is dropped without Close.
	cleanup runtime.Cleanup
}

func newLibTransport() (*libTransport, error) {
	if err := loadLibnftables(); err != nil {
		return nil, err
	}
	return &libTransport{}, nil
}

func (l *libTransport) run(ctx context.Context, script string) error {
	if err := ctx.Err(); err != nil {
		return err // a running C call cannot be interrupted; do not start one
	}
	libnft.mu.Lock()
	defer libnft.mu.Unlock()
	if l.ctx == 0 {
		if err := l.open(); err != nil {
			return err
		}
	}
	if libnft.runCmd(l.ctx, script) != 0 {
		msg := strings.TrimSpace(libnft.getErrorBuffer(l.ctx))
		if msg == "" {
			msg = "nft_run_cmd_from_buffer failed"
		}
		return fmt.Errorf("libnftables: %s", msg)
	}
	return nil
}

// open creates the nft context. Its netlink socket belongs to the network
// namespace of the calling thread, which must not change during the call.
func (l *libTransport) open() error {
	runtime.LockOSThread()
	c := libnft.ctxNew(0) // NFT_CTX_DEFAULT: opens the netlink socket
	runtime.UnlockOSThread()
	if c == 0 {
		return errors.New("libnftables: nft_ctx_new failed")
	}
	// Keep output and errors for ourselves instead of the process's stdout
	// and stderr.
	libnft.bufferOutput(c)
	libnft.bufferError(c)
	l.ctx = c
	l.cleanup = runtime.AddCleanup(l, freeContext, c)
	return nil
}

// freeContext frees an nft context and closes its netlink socket.
func freeContext(c uintptr) {
	libnft.mu.Lock()
	defer libnft.mu.Unlock()
	libnft.ctxFree(c)
}

// close frees the context. The Backend sends nothing after it.
func (l *libTransport) close() error {
	if l.ctx != 0 {
		l.cleanup.Stop()
		freeContext(l.ctx)
		l.ctx = 0
	}
	return nil
}
