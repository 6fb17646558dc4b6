package timesync

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Watcher keeps the latest Status for the lane's hot path (Synced is a
// mutex-guarded read, no system call) and re-checks it when told to.
type Watcher struct {
	c      *Checker
	log    *slog.Logger
	mu     sync.Mutex
	st     Status
	synced chan struct{} // closed the first time the clock is synced
	once   sync.Once
}

// NewWatcher checks once and returns the watcher. log may be nil.
func NewWatcher(c *Checker, log *slog.Logger) *Watcher {
	if c == nil {
		c = &Checker{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{c: c, log: log.With("component", "timesync"), synced: make(chan struct{})}
	w.st = Status{State: Unknown}
	w.Update()
	return w
}

// Status is the latest check.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st
}

// Synced reports whether the latest check found the clock synchronised.
// Records stamped while it is false carry clock_synced=false.
func (w *Watcher) Synced() bool { return w.Status().State == Synced }

// Update checks again, logs a change of state, and returns the new status.
func (w *Watcher) Update() Status {
	st := w.c.Check()
	w.mu.Lock()
	prev := w.st
	w.st = st
	w.mu.Unlock()
	if st.State != prev.State {
		switch st.State {
		case Synced:
			w.log.Info("clock synchronised", "source", st.Source, "max_error", st.MaxError)
		default:
			w.log.Warn("clock not synchronised: records are marked unsynced", "state", st.State, "source", st.Source, "reason", st.Reason)
		}
	}
	if st.State == Synced {
		w.once.Do(func() { close(w.synced) })
	}
	return st
}

// Run re-checks on every tick until ctx ends. Pass a ticker's channel
// (every 30s is plenty: the kernel's error grows by 0.5 ms/s unsynced).
func (w *Watcher) Run(ctx context.Context, tick <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			w.Update()
		}
	}
}

// Wait returns once the clock has been found synced (by Run or Update), or
// when limit fires or ctx ends, whichever is first; it returns the status
// then. The daemon waits a bounded time at start-up (say 30s after the
// network is up) and then runs unsynced rather than keep a lane closed.
func (w *Watcher) Wait(ctx context.Context, limit <-chan time.Time) Status {
	select {
	case <-w.synced:
	case <-limit:
	case <-ctx.Done():
	}
	return w.Status()
}
