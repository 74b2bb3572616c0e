package report

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/internal/store"
)

// linkFrame is a frame a FIAS hotel link journaled, and what its delivery
// made of it, as the gateway's sink and the hotel desk write them.
type linkFrame struct {
	at      string // HH:MM:SS on 2026-11-28
	dir     string // in (default) or out
	raw     string // the record between STX and ETX
	key     string // the driver's business key
	status  string
	note    string
	events  []string // event types enqueued in the delivery, attributed to the frame
	legacy  bool     // delivered before the frame's events were kept: identity only
	posting *posting // a PS that became a call
}

type posting struct {
	room, dialed string
	class        string
	durationS    int
	price        string
	acked        bool // the back office acknowledged the charge
}

// hotelinkNight is a night of FIAS traffic: the link start, four wake-up
// answers and one sent again, maid status, DND from the room phone, a
// check-in the PBX reports, two postings, a resync request and the link
// end.
var hotelinkNight = []linkFrame{
	{at: "00:00:05", raw: "LS|DA261128|TI000005|", status: store.FrameSkipped},
	{at: "00:00:05", dir: "out", raw: "LS|DA261128|TI000005|"},
	{at: "00:00:05", raw: "LD|DA261128|TI000005|V#1.01|IFPB|", status: store.FrameSkipped},
	{at: "00:00:05", raw: "LR|RIWA|FLRNDATIAS|", status: store.FrameSkipped},
	{at: "00:00:05", raw: "LA|DA261128|TI000005|", status: store.FrameSkipped},
	{at: "00:00:05", dir: "out", raw: "LA|DA261128|TI000005|"},
	{at: "00:00:05", dir: "out", raw: "DS|DA261128|TI000005|"},
	{at: "00:00:05", dir: "out", raw: "DE|DA261128|TI000005|"},
	{at: "07:00:10", raw: "WA|RN1201|DA261128|TI070000|ASOK|", key: "fias/WA/1201/261128070000/OK", status: store.FrameParsed,
		events: []string{"hotel.pbx.wakeup.answered"}},
	{at: "07:00:10", raw: "WA|RN1202|DA261128|TI070000|ASNR|", key: "fias/WA/1202/261128070000/NR", status: store.FrameParsed,
		events: []string{"hotel.pbx.wakeup.unanswered", "hotel.pbx.wakeup.escalated"}},
	{at: "07:00:10", raw: "WA|RN1203|DA261128|TI070000|ASBY|", key: "fias/WA/1203/261128070000/BY", status: store.FrameParsed,
		events: []string{"hotel.pbx.wakeup.unanswered"}},
	{at: "07:00:10", raw: "WA|RN1204|DA261128|TI070000|ASOK|", key: "fias/WA/1204/261128070000/OK", status: store.FrameParsed,
		events: []string{"hotel.pbx.wakeup.answered"}},
	{at: "07:00:12", raw: "WA|RN1204|DA261128|TI070000|ASOK|", key: "fias/WA/1204/261128070000/OK", status: store.FrameDuplicate},
	{at: "07:05:00", raw: "WA|RN1203|DA261128|TI070500|ASOK|", key: "fias/WA/1203/261128070500/OK", status: store.FrameParsed,
		note: "answered after the wake-up was escalated"},
	{at: "09:12:00", raw: "RE|RN1201|RS3|", status: store.FrameParsed, events: []string{"hotel.pbx.room.status"}},
	{at: "09:13:00", raw: "RE|RN1205|RS1|", status: store.FrameParsed, events: []string{"hotel.pbx.room.status"}, legacy: true},
	{at: "09:20:00", raw: "RE|RN1202|DNY|", status: store.FrameParsed, note: "DND on from the room phone: kept in the room's retained state"},
	{at: "10:00:00", raw: "GI|RN1210|G#R1210|GNLi Na|", status: store.FrameParsed, events: []string{"hotel.edge.folio.checked-in"}},
	{at: "11:30:00", raw: "PS|RN1201|P#77|DA261128|TI112800|DD13812345678|DU000130|TA150|", key: "fias/PS/1201/77", status: store.FrameParsed,
		posting: &posting{room: "1201", dialed: "13812345678", class: "mobile", durationS: 90, price: "1.50", acked: true}},
	{at: "11:30:00", dir: "out", raw: "PA|RN1201|ASOK|P#77|DA261128|TI112800|"},
	{at: "11:45:00", raw: "PS|RN1203|P#78|DA261128|TI114300|DD02087654321|DU000300|TA300|", key: "fias/PS/1203/78", status: store.FrameParsed,
		posting: &posting{room: "1203", dialed: "02087654321", class: "ddd", durationS: 180, price: "3.00"}},
	{at: "11:45:00", dir: "out", raw: "PA|RN1203|ASOK|P#78|DA261128|TI114300|"},
	{at: "12:00:00", raw: "DR|DA261128|TI120000|", status: store.FrameSkipped},
	{at: "23:59:00", raw: "LE|DA261128|TI235900|", status: store.FrameSkipped},
}

// writeHotelinkNight journals the frames and writes what became of each:
// its events (attributed to the frame), its call row, its status.
func writeHotelinkNight(t *testing.T, st *store.Store, loc *time.Location) {
	t.Helper()
	ctx := context.Background()
	var ackUpTo int64
	for i, f := range hotelinkNight {
		clock, err := time.ParseInLocation("2006-01-02 15:04:05", "2026-11-28 "+f.at, loc)
		if err != nil {
			t.Fatal(err)
		}
		dir := f.dir
		if dir == "" {
			dir = "in"
		}
		ids, err := st.AppendFrames(ctx, "pbx1", "fias", dir, clock, []store.NewFrame{{Raw: []byte("\x02" + f.raw + "\x03"), Key: f.key}})
		if err != nil {
			t.Fatal(err)
		}
		if dir == "out" {
			continue
		}
		id := ids[0]
		err = st.InTx(ctx, func(tx *store.Tx) error {
			if !f.legacy {
				tx.ForFrame(id)
			}
			idem := fmt.Sprintf("pbx1/journal/%d", id)
			if f.key != "" {
				idem = "pbx1/" + f.key
			}
			for _, typ := range f.events {
				if f.posting == nil && typ != "hotel.pbx.room.status" {
					idem = fmt.Sprintf("%s/frame%d", typ, i) // the events' own identities (wake-up, stay)
				}
				if _, _, err := tx.Enqueue(store.Event{Type: typ, Topic: "hotel/acme/h042/pbx/pbx1/event/" + typ, IdemKey: idem, Data: f.raw}); err != nil {
					return err
				}
			}
			if p := f.posting; p != nil {
				seq, err := insertPostingCall(tx, id, idem, clock, *p)
				if err != nil {
					return err
				}
				if p.acked {
					ackUpTo = seq
				}
			}
			return tx.MarkFrame(id, f.status, f.note)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Ack(ctx, ackUpTo); err != nil {
		t.Fatal(err)
	}
}

// insertPostingCall is the call path's row for a FIAS posting (PS): its
// call.recorded and call.charged events and the calls ledger row.
func insertPostingCall(tx *store.Tx, journal int64, idem string, at time.Time, p posting) (charged int64, err error) {
	recorded, _, err := tx.Enqueue(store.Event{Type: "hotel.pbx.call.recorded", Topic: "hotel/acme/h042/pbx/pbx1/event/call.recorded", IdemKey: idem, Data: p})
	if err != nil {
		return 0, err
	}
	if charged, _, err = tx.Enqueue(store.Event{Type: "hotel.pbx.call.charged", Topic: "hotel/acme/h042/pbx/pbx1/event/call.charged", IdemKey: idem, Data: p}); err != nil {
		return 0, err
	}
	minor := strings.ReplaceAll(p.price, ".", "")
	_, err = tx.Exec(`INSERT INTO calls(idemkey, device, journal_id, start, duration_s, direction, extension, room, room_class, dialed,
		pbx_cost, class, destination, matched_prefix, rate_id, tariff_version, billable_s, carrier_cost, price, amount_minor, currency,
		rated, flags, posted, not_posted, reservation, late, recorded_seq, charged_seq, rated_at)
		VALUES(?,?,?,?,?,'outgoing',?,?,'guest',?,?,?,'',?,'',?,?,?,?,?,'CNY','{}','[]',1,'','',0,?,?,?)`,
		idem, "pbx1", journal, at.Add(-time.Duration(p.durationS)*time.Second).UnixNano(), p.durationS, p.room, p.room, p.dialed,
		p.price, p.class, p.dialed[:3], "2026-11", p.durationS, p.price, p.price, minor, recorded, charged, at.UnixNano())
	return charged, err
}

// TestReconcileHotelinkGolden: every frame of a FIAS night is explained:
// link records have no record in them, wake-up answers, maid status and
// the reported check-in by the events they produced, a resent answer as a
// duplicate, DND and a late answer by the desk's note, postings go through
// the call path to the back office. Text and JSON against
// testdata/reconcile-hotelink.golden.*.
func TestReconcileHotelinkGolden(t *testing.T) {
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	st := openStore(t)
	writeHotelinkNight(t, st, loc)
	p, _ := Day("2026-11-28", loc)
	l, err := LoadJournal(ctx, st, p, "")
	if err != nil {
		t.Fatal(err)
	}
	r := Reconcile(l)
	if r.Unexplained != 0 {
		t.Errorf("%s", r.Heading())
	}
	if in := r.Steps[0].In; in != 18 {
		t.Errorf("%d frames from the PBX reconciled, want 18 (the gateway's own are not)", in)
	}
	for _, f := range []struct {
		format Format
		ext    string
	}{{Text, "txt"}, {JSON, "json"}} {
		var b strings.Builder
		if err := Write(&b, f.format, r.Heading(), r.Tables(), r); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "reconcile-hotelink.golden."+f.ext, b.String())
	}
}
