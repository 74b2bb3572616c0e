package bus

import (
	"sync"
	"sync/atomic"
	"time"
)

// Rates are the publishes per second each role's principal may send the
// embedded broker (0: the default of the role). A principal over its rate
// is slowed, not refused: the broker stops reading its connection for the
// time its next publish is early (TCP flow control holds it back), so
// nothing it sent is lost and it costs no memory or disk; other principals
// are not slowed.
type Rates struct {
	Backoffice float64
	Operator   float64
	Readonly   float64
}

// Default rates: the back office may send a burst of thousands of commands
// (the 2,000 commands/s); an operator's console sends a few a
// second; a read-only client has nothing to publish, so what it sends
// (refused by the ACL) is slowed hard.
const (
	DefaultBackofficeRate = 5000
	DefaultOperatorRate   = 50
	DefaultReadonlyRate   = 5
)

func (r Rates) of(role Role) float64 {
	pick := func(v, d float64) float64 {
		if v > 0 {
			return v
		}
		return d
	}
	switch role {
	case RoleBackoffice:
		return pick(r.Backoffice, DefaultBackofficeRate)
	case RoleOperator:
		return pick(r.Operator, DefaultOperatorRate)
	default:
		return pick(r.Readonly, DefaultReadonlyRate)
	}
}

// limiter is a token bucket per principal: rate tokens a second, at most
// one second's worth saved up.
type limiter struct {
	rates     Rates
	mu        sync.Mutex
	buckets   map[string]*bucket
	throttled atomic.Int64 // publishes held back, for the status and metrics
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the principals remembered; beyond, the idle ones are
// forgotten (a full bucket is what a new one starts with anyway).
const maxBuckets = 4096

func newLimiter(r Rates) *limiter {
	return &limiter{rates: r, buckets: map[string]*bucket{}}
}

// delay takes a token for principal key of role and says how long its
// publish must wait for it (0: none).
func (l *limiter) delay(key string, role Role, now time.Time) time.Duration {
	rate := l.rates.of(role)
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.forget(now)
		}
		b = &bucket{tokens: rate, last: now}
		l.buckets[key] = b
	}
	b.tokens += now.Sub(b.last).Seconds() * rate
	if b.tokens > rate {
		b.tokens = rate
	}
	b.last = now
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	l.throttled.Add(1)
	return time.Duration(-b.tokens / rate * float64(time.Second))
}

// forget drops the buckets idle for a second or more (they are full).
func (l *limiter) forget(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.last) >= time.Second {
			delete(l.buckets, k)
		}
	}
}
