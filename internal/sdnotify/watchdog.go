package sdnotify

import (
	"context"
	"fmt"
	"time"
)

// KeepAlive sends WATCHDOG=1 every half of timeout (sd_watchdog_enabled(3)
// advises pinging at about half the interval) for as long as alive answers
// nil within that half, until ctx ends. A check that fails or does not
// answer in time sends nothing and is reported to missed; while a check is
// still hanging no new one starts, so a daemon whose loop is stuck stops the
// pings and systemd restarts it when timeout runs out.
func (n *Notifier) KeepAlive(ctx context.Context, timeout time.Duration, alive func(context.Context) error, missed func(error)) {
	if !n.Enabled() || timeout <= 0 {
		return
	}
	every := timeout / 2
	done := make(chan error, 1)
	running := false
	check := func() {
		if running {
			missed(fmt.Errorf("liveness check still running after %s: no watchdog ping", every))
			return
		}
		running = true
		go func() {
			cctx, cancel := context.WithTimeout(ctx, every)
			defer cancel()
			done <- alive(cctx)
		}()
		wait := time.NewTimer(every)
		defer wait.Stop()
		select {
		case err := <-done:
			running = false
			if err != nil {
				missed(fmt.Errorf("liveness check failed: %w", err))
				return
			}
			if err := n.Send(Watchdog); err != nil {
				missed(err)
			}
		case <-wait.C:
			missed(fmt.Errorf("liveness check did not answer within %s: no watchdog ping", every))
		case <-ctx.Done():
		}
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	check()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-done:
			// A hung check that answered late: the next tick checks afresh.
			running = false
			if err != nil {
				missed(fmt.Errorf("liveness check failed late: %w", err))
			}
		case <-tick.C:
			check()
		}
	}
}
