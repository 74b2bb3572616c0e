package ipp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"switchboard/internal/events/printer"

	"github.com/gosnmp/gosnmp"
)

// Printer-MIB (RFC 3805) and Host Resources MIB (RFC 2790) objects.
const (
	// prtMarkerLifeCount.1.1: lifetime count of the first marker of the
	// first printer, in prtMarkerCounterUnit (impressions on MFPs).
	oidMarkerLifeCount = "1.3.6.1.2.1.43.10.2.1.4.1.1"
	// hrPrinterDetectedErrorState.1 (RFC 2790 / RFC 3805 §2.2.13.2).
	oidDetectedErrorState = "1.3.6.1.2.1.25.3.5.1.2.1"
	// prtAlertTable entries (RFC 3805 §2.2.13).
	oidAlertTable = "1.3.6.1.2.1.43.18.1.1"
)

// ErrSNMPNoAnswer means the agent did not answer: down, wrong address or
// wrong community (SNMPv2c agents stay silent on a bad community).
var ErrSNMPNoAnswer = errors.New("SNMP agent did not answer")

// ErrSNMPNoObject means the agent answered but has no such object.
var ErrSNMPNoObject = errors.New("SNMP agent has no such object")

type snmpClient struct{ opt SNMPOptions }

// session opens a fresh SNMPv2c session (UDP: cheap; no shared state
// between concurrent callers).
func (s *snmpClient) session(ctx context.Context) (*gosnmp.GoSNMP, error) {
	host, port, err := net.SplitHostPort(s.opt.Address)
	if err != nil {
		host, port = s.opt.Address, "161"
	}
	pn, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("snmp address %q: %w", s.opt.Address, err)
	}
	g := &gosnmp.GoSNMP{
		Target: host, Port: uint16(pn), Community: s.opt.Community, Version: gosnmp.Version2c,
		Timeout: s.opt.Timeout, Retries: s.opt.Retries, Context: ctx, MaxOids: gosnmp.MaxOids,
	}
	if err := g.Connect(); err != nil {
		return nil, fmt.Errorf("snmp %s: %w", s.opt.Address, err)
	}
	return g, nil
}

func (s *snmpClient) wrap(err error) error {
	if errors.Is(err, gosnmp.ErrMaxRetriesExceeded) || strings.Contains(err.Error(), "timeout") ||
		strings.Contains(err.Error(), "connection refused") {
		return fmt.Errorf("snmp %s: %w within %v x %d (agent down, wrong address or community): %v",
			s.opt.Address, ErrSNMPNoAnswer, s.opt.Timeout, s.opt.Retries+1, err)
	}
	return fmt.Errorf("snmp %s: %w", s.opt.Address, err)
}

// get reads single objects; a NoSuchObject/NoSuchInstance is an error
// naming the object.
func (s *snmpClient) get(ctx context.Context, oids ...string) ([]gosnmp.SnmpPDU, error) {
	g, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	defer g.Conn.Close()
	pkt, err := g.Get(oids)
	if err != nil {
		return nil, s.wrap(err)
	}
	if pkt.Error != gosnmp.NoError {
		return nil, fmt.Errorf("snmp %s: error-status %v at index %d", s.opt.Address, pkt.Error, pkt.ErrorIndex)
	}
	for _, v := range pkt.Variables {
		switch v.Type {
		case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
			return nil, fmt.Errorf("snmp %s: %s: %w (%v; is the Printer-MIB served?)", s.opt.Address, strings.TrimPrefix(v.Name, "."), ErrSNMPNoObject, v.Type)
		}
	}
	return pkt.Variables, nil
}

// lifeCount reads prtMarkerLifeCount.
func (s *snmpClient) lifeCount(ctx context.Context) (int64, error) {
	vs, err := s.get(ctx, oidMarkerLifeCount)
	if err != nil {
		return 0, err
	}
	n := gosnmp.ToBigInt(vs[0].Value)
	if n == nil || !n.IsInt64() || n.Sign() < 0 {
		return 0, fmt.Errorf("snmp %s: prtMarkerLifeCount: not a counter (%v %v)", s.opt.Address, vs[0].Type, vs[0].Value)
	}
	return n.Int64(), nil
}

// errorStateBits are hrPrinterDetectedErrorState's bits (RFC 3805
// §2.2.13.2: bit 0 is the most significant bit of the first octet).
var errorStateBits = []string{
	"lowPaper", "noPaper", "lowToner", "noToner", "doorOpen", "jammed", "offline", "serviceRequested",
	"inputTrayMissing", "outputTrayMissing", "markerSupplyMissing", "outputNearFull", "outputFull",
	"inputTrayEmpty", "overduePreventMaint",
}

// snmpKinds maps error-state conditions to alert kinds.
var snmpKinds = map[string]printer.AlertKind{
	"lowPaper": printer.AlertMediaLow, "noPaper": printer.AlertMediaEmpty, "inputTrayEmpty": printer.AlertMediaEmpty,
	"lowToner": printer.AlertTonerLow, "noToner": printer.AlertTonerEmpty, "doorOpen": printer.AlertCoverOpen,
	"jammed": printer.AlertMediaJam, "offline": printer.AlertOffline,
}

// DecodeErrorState lists the conditions set in an hrPrinterDetectedErrorState.
func DecodeErrorState(b []byte) []string {
	var out []string
	for i, name := range errorStateBits {
		if i/8 < len(b) && b[i/8]&(0x80>>(i%8)) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// errorState reads hrPrinterDetectedErrorState.
func (s *snmpClient) errorState(ctx context.Context) ([]string, error) {
	vs, err := s.get(ctx, oidDetectedErrorState)
	if err != nil {
		return nil, err
	}
	b, ok := vs[0].Value.([]byte)
	if !ok {
		return nil, fmt.Errorf("snmp %s: hrPrinterDetectedErrorState: not an octet string (%v)", s.opt.Address, vs[0].Type)
	}
	return DecodeErrorState(b), nil
}

// SNMPAlert is one row of prtAlertTable.
type SNMPAlert struct {
	Index       int    `json:"index"`
	Severity    int    `json:"severity"` // prtAlertSeverityLevel: 3 critical, 4 warning, 5 warningBinaryChangeEvent
	Group       int    `json:"group"`    // prtAlertGroup: 8 input, 9 output, 10 marker, 11 supplies, 13 media path, 6 cover
	Code        int    `json:"code"`     // prtAlertCode (RFC 3805 PrtAlertCodeTC)
	Description string `json:"description,omitempty"`
}

// alerts walks prtAlertTable.
func (s *snmpClient) alerts(ctx context.Context) ([]SNMPAlert, error) {
	g, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	defer g.Conn.Close()
	pdus, err := g.BulkWalkAll(oidAlertTable)
	if err != nil {
		return nil, s.wrap(err)
	}
	rows := map[int]*SNMPAlert{}
	var order []int
	for _, v := range pdus {
		rest := strings.TrimPrefix(strings.TrimPrefix(v.Name, "."), oidAlertTable+".")
		parts := strings.Split(rest, ".")
		if len(parts) != 3 { // column.hrDeviceIndex.prtAlertIndex
			continue
		}
		col, _ := strconv.Atoi(parts[0])
		idx, err := strconv.Atoi(parts[2])
		if err != nil {
			continue
		}
		r := rows[idx]
		if r == nil {
			r = &SNMPAlert{Index: idx}
			rows[idx] = r
			order = append(order, idx)
		}
		iv := int(toInt(v.Value))
		switch col {
		case 2:
			r.Severity = iv
		case 4:
			r.Group = iv
		case 7:
			r.Code = iv
		case 8:
			if b, ok := v.Value.([]byte); ok {
				r.Description = string(b)
			}
		}
	}
	out := make([]SNMPAlert, 0, len(order))
	for _, i := range order {
		out = append(out, *rows[i])
	}
	return out, nil
}

func toInt(v any) int64 {
	if n := gosnmp.ToBigInt(v); n != nil && n.IsInt64() {
		return n.Int64()
	}
	return 0
}
