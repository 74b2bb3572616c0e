package hotelink

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"switchboard/drivers"
	"switchboard/internal/events/hotel"
)

// shenouProto sets a room's class of service (权限) on a Shenou (申瓯)
// USO/SOC PBX: Q10*P*XXXX# sets extension XXXX to level P, and the PBX
// answers R10*P*XXXX. Nothing else of the hotel link exists on this PBX.
type shenouProto struct{}

func (shenouProto) serve(ctx context.Context, d *Driver, c *conn, rw io.ReadWriteCloser) error {
	s := &lineSession{d: d, c: c, rw: rw, in: make(chan rxItem, 64)}
	s.encode = func(cmd hotel.Command) ([][]byte, error) { return shenouEncode(d, cmd) }
	s.answered = shenouAnswered
	s.onFrame = func(ctx context.Context, id int64, ev Event) error {
		// Answers are matched in await; anything else is kept in the journal.
		return s.d.deliver(ctx, drivers.Result{FrameID: id, Skipped: true})
	}
	return s.run(ctx)
}

// encode: a Shenou query depends on the profile only.
func (shenouProto) encode(d *Driver, _ *conn, cmd hotel.Command) ([][]byte, error) {
	return shenouEncode(d, cmd)
}

// ShenouCOS builds the class-of-service query for an extension.
func ShenouCOS(level string, room hotel.Room) []byte {
	return []byte("Q10*" + level + "*" + string(room) + "#")
}

// shenouAnswered reports whether buf holds the PBX's echo R10*P*XXXX of
// the query msg (Q10*P*XXXX#).
func shenouAnswered(buf, msg []byte) bool {
	want := bytes.TrimSuffix(bytes.Replace(msg, []byte("Q10*"), []byte("R10*"), 1), []byte("#"))
	i := bytes.Index(buf, want)
	if i < 0 {
		return false
	}
	// R10*1*80 must not match the answer for 801: the extension has to end.
	end := i + len(want)
	return end == len(buf) || buf[end] < '0' || buf[end] > '9'
}

// shenouEncode turns a command into Shenou class-of-service queries.
func shenouEncode(d *Driver, cmd hotel.Command) ([][]byte, error) {
	var room hotel.Room
	var cos hotel.COS
	switch c := cmd.(type) {
	case hotel.SetCOS:
		room, cos = c.Room, c.COS
	case hotel.CheckIn:
		if c.COS == "" {
			return nil, nil // nothing the PBX can take; the name is not carried
		}
		room, cos = c.Room, c.COS
	case hotel.CheckOut:
		// Front-office practice: a vacated room is barred.
		room, cos = c.Room, hotel.COSBarred
	default:
		return nil, fmt.Errorf("%w: %T on a Shenou PBX: do it at the attendant console", hotel.ErrUnsupported, cmd)
	}
	level, ok := d.prof.COS[cos]
	if !ok {
		return nil, fmt.Errorf("%w: class of service %q not in profile %s", hotel.ErrNotAccepted, cos, d.prof.ID)
	}
	r := strings.TrimSpace(string(room))
	if r == "" || strings.Trim(r, "0123456789") != "" {
		return nil, fmt.Errorf("%w: extension %q is not digits", hotel.ErrNotAccepted, room)
	}
	return [][]byte{ShenouCOS(level, hotel.Room(r))}, nil
}
