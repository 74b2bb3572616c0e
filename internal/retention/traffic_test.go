package retention

import (
	"context"
	"fmt"
	"time"

	"switchboard/internal/store"
	"switchboard/internal/store/storetest"
)

// traffic is a hotel's call traffic to fill a store with: every call with
// its journal frame, its hotel.pbx.call.recorded event (and a charge event
// for every third call), their dedupe keys and frame attributions, as the
// gateway writes them. Rows are written with multi-row INSERTs in large
// transactions: the benchmark's two million calls take minutes, not hours.
type traffic struct {
	Days, Rooms, CallsPerRoomDay int
	Now                          time.Time // the last day ends here
}

func (tr traffic) calls() int { return tr.Days * tr.Rooms * tr.CallsPerRoomDay }

// dialedNumbers are the kinds of numbers guests dial, after the trunk
// access code 9: local, national (DDD), mobile, international (IDD).
var dialedNumbers = []struct{ number, class, dest string }{
	{"65123456", "local", "Beijing local"},
	{"02161234567", "national", "Shanghai"},
	{"13912345678", "mobile", "China mobile"},
	{"0012125551234", "international", "USA"},
	{"00442079460000", "international", "United Kingdom"},
}

// call is the i-th call of the traffic.
type genCall struct {
	start, end time.Time
	key, ext   string
	dialed     string
	class      string
	dest       string
	dur        int
}

func (tr traffic) call(i int) genCall {
	perDay := tr.Rooms * tr.CallsPerRoomDay
	day, n := i/perDay, i%perDay
	room := n % tr.Rooms
	// Calls spread over the day from 07:00, in order of i.
	dayStart := tr.Now.AddDate(0, 0, day-tr.Days).Truncate(24 * time.Hour).Add(7 * time.Hour)
	start := dayStart.Add(time.Duration(n) * (16 * time.Hour) / time.Duration(perDay))
	d := dialedNumbers[i%len(dialedNumbers)]
	dur := 20 + (i*37)%600
	return genCall{start: start, end: start.Add(time.Duration(dur) * time.Second), key: fmt.Sprintf("pbx1/%024x#0", i),
		ext: fmt.Sprintf("%d%02d", 1+room/50, room%50), dialed: "9" + d.number, class: d.class, dest: d.dest, dur: dur}
}

// fill writes the traffic into st. Events are acknowledged a minute after
// they were made, except in the last hour.
func fill(ctx context.Context, st *store.Store, tr traffic) error {
	const chunk = 20000
	seq := int64(0)
	unacked := tr.Now.Add(-time.Hour)
	for from := 0; from < tr.calls(); from += chunk {
		err := st.InTx(ctx, func(tx *store.Tx) error {
			calls := storetest.NewInserter(tx, "calls", `idemkey, device, journal_id, start, duration_s, direction, extension, room, room_class, dialed,
				answered, class, destination, matched_prefix, rate_id, tariff_version, billable_s, carrier_cost, price, amount_minor, currency,
				rated, flags, posted, not_posted, reservation, late, recorded_seq, charged_seq, rated_at`)
			journal := storetest.NewInserter(tx, "journal", "id, device, received, raw, key, status, profile")
			outbox := storetest.NewInserter(tx, "outbox", "seq, event_id, type, idemkey, topic, payload, created, published, acked")
			idem := storetest.NewInserter(tx, "idem", "type, idemkey, seq, created")
			frames := storetest.NewInserter(tx, "journal_events", "journal_id, type, seq")
			for i := from; i < min(from+chunk, tr.calls()); i++ {
				c := tr.call(i)
				jid := int64(i + 1)
				raw := fmt.Sprintf("%s %s %s %s %05d 001", c.start.Format("01/02"), c.start.Format("15:04"), c.ext, c.dialed, c.dur)
				if err := journal.Add(jid, "pbx1", c.end.UnixNano(), []byte(raw), c.key, "parsed", "avaya-ipo"); err != nil {
					return err
				}
				acked := func(at time.Time) any {
					if at.After(unacked) {
						return nil
					}
					return at.Add(time.Minute).UnixNano()
				}
				var recorded, charged int64
				for _, typ := range []string{"hotel.pbx.call.recorded", "hotel.pbx.call.charged"} {
					if typ == "hotel.pbx.call.charged" && i%3 != 0 {
						continue
					}
					seq++
					payload := fmt.Sprintf(`{"specversion":"1.0","id":"%08x-0000-5000-8000-000000000000","source":"/hotel/acme/h042/pbx/pbx1","type":%q,`+
						`"time":%q,"subject":"room/%s","datacontenttype":"application/json","seq":%d,"idemkey":%q,`+
						`"data":{"device":"pbx1","journal_id":%d,"extension":%q,"dialed":%q,"start":%q,"duration_s":%d,"raw":%q}}`,
						seq, typ, c.end.Format(time.RFC3339), c.ext, seq, c.key, jid, c.ext, c.dialed, c.start.Format(time.RFC3339), c.dur, raw)
					if err := outbox.Add(seq, fmt.Sprintf("%08x", seq), typ, c.key, "hotel/acme/h042/pbx/pbx1/event/"+typ, []byte(payload),
						c.end.UnixNano(), c.end.UnixNano(), acked(c.end)); err != nil {
						return err
					}
					if err := idem.Add(typ, c.key, seq, c.end.UnixNano()); err != nil {
						return err
					}
					if err := frames.Add(jid, typ, seq); err != nil {
						return err
					}
					if recorded == 0 {
						recorded = seq
					} else {
						charged = seq
					}
				}
				rated := fmt.Sprintf(`{"extension":%q,"dialed":%q,"start":%q,"duration_s":%d,"raw":%q,"class":%q,"destination":%q,"price":"1.20","posted":true}`,
					c.ext, c.dialed, c.start.Format(time.RFC3339), c.dur, raw, c.class, c.dest)
				var chargedSeq any
				if charged != 0 {
					chargedSeq = charged
				}
				if err := calls.Add(c.key, "pbx1", jid, c.start.UnixNano(), c.dur, "out", c.ext, c.ext, "standard", c.dialed,
					1, c.class, c.dest, c.dialed[1:4], "r1", "v1", c.dur, "0.60", "1.20", 120, "CNY",
					rated, "[]", charged != 0, "", "", 0, recorded, chargedSeq, c.end.UnixNano()); err != nil {
					return err
				}
			}
			for _, in := range []*storetest.Inserter{calls, journal, outbox, idem, frames} {
				if err := in.Flush(); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("fill calls %d..: %w", from, err)
		}
	}
	return nil
}
