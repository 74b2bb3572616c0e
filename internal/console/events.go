package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/operators"
)

// What the live stream sends and how often.
const (
	// heartbeat keeps proxies and the browser from closing a quiet stream.
	heartbeat = 15 * time.Second
	// replayMax bounds what a reconnecting browser is sent from the store;
	// further behind, it is told to reload its page's data (event resync).
	replayMax = 1000
	// DefaultLivePoll is how often the feed reads the outbox: one indexed
	// read per process, within the 500 ms an event may take to a browser.
	DefaultLivePoll = 100 * time.Millisecond
)

// mayWatch says whether a role's stream carries an event of type typ
// caused by principal: the switchboard sees the PBX's events (calls,
// wake-ups, rooms, its alerts, emergencies), the business centre the fax
// and print events, supervisors and admins everything; a command's
// replies go to whoever sent it. The console's own notices (console.*)
// follow the PBX's.
func mayWatch(s session, typ, principal string) bool {
	switch s.role {
	case operators.RoleSupervisor, operators.RoleAdmin:
		return true
	}
	if strings.HasPrefix(typ, "hotel.command.") {
		return principal != "" && principal == s.code
	}
	switch s.role {
	case operators.RoleOperator:
		return strings.HasPrefix(typ, "hotel.pbx.") || strings.HasPrefix(typ, "console.") || watchesStays(typ)
	case operators.RoleBusiness:
		return strings.HasPrefix(typ, "hotel.fax.") || strings.HasPrefix(typ, "hotel.print.")
	}
	return false
}

// eventStream is the live pages' server-sent-events stream of the events
// the gateway committed (the outbox), filtered by the session's role. Each
// message's id is the event's outbox seq, so a browser that reconnects
// with Last-Event-ID gets what it missed (up to replayMax; beyond, an
// event "resync" tells the page to reload its data). Events never carry a
// guest's name (the schemas have none): the data is the envelope's data.
func (c *Console) eventStream(w http.ResponseWriter, r *http.Request, s session) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ctx := r.Context()
	sub, from, err := c.feed.subscribe(ctx)
	if err != nil {
		c.o.Log.Error("live stream", "err", err)
		http.Error(w, "the live stream is unavailable", http.StatusServiceUnavailable)
		return
	}
	defer c.feed.unsubscribe(sub)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n: switchboard live\n\n")
	sent := from
	if last, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && last >= 0 && last < from {
		if sent, err = c.replay(ctx, w, s, last, from); err != nil {
			c.o.Log.Warn("live stream: replay", "operator", s.code, "err", err)
			return
		}
	}
	fl.Flush()
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
		case m, open := <-sub.ch:
			if !open {
				// Dropped for falling behind: the browser reconnects and resumes.
				return
			}
			if m.Seq != 0 && m.Seq <= sent {
				continue // replayed already
			}
			if m.Seq != 0 {
				sent = m.Seq
			}
			if err := writeWatched(w, s, m); err != nil {
				return
			}
		}
		fl.Flush()
	}
}

// replay sends the events after last up to upto from the store; a browser
// too far behind is told to resync instead. It returns the seq sent up to.
func (c *Console) replay(ctx context.Context, w http.ResponseWriter, s session, last, upto int64) (int64, error) {
	if upto-last > replayMax {
		_, err := fmt.Fprintf(w, "id: %d\nevent: resync\ndata: {}\n\n", upto)
		return upto, err
	}
	for last < upto {
		rows, err := c.o.Host.Store().Pending(ctx, last, tailPage)
		if err != nil {
			return last, err
		}
		if len(rows) == 0 {
			break
		}
		for _, row := range rows {
			if row.Seq > upto {
				return upto, nil
			}
			last = row.Seq
			m, err := messageOf(row)
			if err != nil {
				continue
			}
			if err := writeWatched(w, s, m); err != nil {
				return last, err
			}
		}
	}
	return upto, nil
}

// writeWatched writes m if the session may watch it, and the rooms it
// changed when it is a command's reply (roomNotice, rooms_live.go).
func writeWatched(w http.ResponseWriter, s session, m liveMessage) error {
	if mayWatch(s, m.Type, m.Principal) {
		if err := writeMessage(w, m); err != nil {
			return err
		}
	}
	if n, ok := roomNotice(s, m); ok {
		return writeMessage(w, n)
	}
	return nil
}

// writeMessage writes one SSE message; data is one line of JSON.
func writeMessage(w http.ResponseWriter, m liveMessage) error {
	var err error
	if id := m.id(); id != "" {
		_, err = fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", id, m.Type, m.Data)
	} else {
		_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", m.Type, m.Data)
	}
	return err
}
