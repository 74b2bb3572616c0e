package ipp

import (
	"context"
	"errors"
	"fmt"

	goipp "github.com/phin1x/go-ipp"
)

// ErrNoCounters means neither IPP nor SNMP can give the counters.
var ErrNoCounters = errors.New("no counter source")

// Counters reads the printer's lifetime impression counters: from IPP
// (printer-impressions-completed, PWG 5100.13) where the profile says the
// device has them, otherwise from SNMP prtMarkerLifeCount. The reading is
// journaled and delivered as a CounterReading.
func (p *Printer) Counters(ctx context.Context) (Counters, error) {
	src := p.prof.Counters.Source
	if src == "ipp" || src == "auto" {
		c, err := p.ippCounters(ctx)
		if err == nil || src == "ipp" || !errors.Is(err, ErrNoCounters) {
			return c, err
		}
	}
	return p.snmpCounters(ctx)
}

func (p *Printer) ippCounters(ctx context.Context) (Counters, error) {
	attr, colAttr := p.prof.Counters.IPPAttribute, p.prof.Counters.IPPColAttribute
	req := p.c.newRequest(opGetPrinterAttributes)
	req.OperationAttributes[goipp.AttributeRequestedAttributes] = []string{attr, colAttr}
	resp, _, err := p.c.do(ctx, "Get-Printer-Attributes", req, nil, 0)
	if err != nil {
		return Counters{}, fmt.Errorf("printer %s: counters: %w", p.dev.ID, err)
	}
	var a Attrs
	if len(resp.PrinterAttributes) > 0 {
		a = convertAttrs(resp.PrinterAttributes[0])
	}
	at := p.now()
	c := Counters{At: at, Source: FromIPP, Color: -1, Mono: -1}
	total, ok := a.int(attr)
	if col, isCol := firstCollection(a[colAttr]); isCol {
		// PWG 5100.13 §6.5.x: members monochrome, full-color,
		// highlight-color, blank (and their -two-sided subsets).
		mono, okM := col.int("monochrome")
		full, okF := col.int("full-color")
		hl, _ := col.int("highlight-color")
		if okM || okF {
			c.Mono, c.Color = int64(mono), int64(full+hl)
			if !ok {
				total, ok = mono+full+hl, true
			}
		}
	}
	if !ok {
		return Counters{}, fmt.Errorf("printer %s: printer reports no %s: %w", p.dev.ID, attr, ErrNoCounters)
	}
	c.Impressions = int64(total)
	snap := snapshot{Device: p.dev.ID, Op: "Get-Printer-Attributes", Status: statusHex(resp.StatusCode), Attrs: a}
	if err := p.emit(ctx, mustJSON(snap), p.key("counters", at), at, CounterReading{Device: p.dev.ID, Counters: c}); err != nil {
		return c, fmt.Errorf("printer %s: counters: %w", p.dev.ID, err)
	}
	return c, nil
}

func firstCollection(vs []Value) (Collection, bool) {
	if len(vs) == 0 {
		return nil, false
	}
	c, ok := vs[0].(Collection)
	return c, ok
}

func (p *Printer) snmpCounters(ctx context.Context) (Counters, error) {
	if p.snmp == nil {
		return Counters{}, fmt.Errorf("printer %s: profile %s reads counters over SNMP but options.snmp is not set: %w", p.dev.ID, p.prof.ID, ErrNoCounters)
	}
	n, err := p.snmp.lifeCount(ctx)
	if err != nil {
		return Counters{}, fmt.Errorf("printer %s: counters: %w", p.dev.ID, err)
	}
	at := p.now()
	c := Counters{At: at, Source: FromSNMP, Impressions: n, Color: -1, Mono: -1}
	frame := mustJSON(map[string]any{"device": p.dev.ID, "op": "snmp-get", "oid": oidMarkerLifeCount, "value": n})
	if err := p.emit(ctx, frame, p.key("counters", at), at, CounterReading{Device: p.dev.ID, Counters: c}); err != nil {
		return c, fmt.Errorf("printer %s: counters: %w", p.dev.ID, err)
	}
	return c, nil
}

// SNMPConditions reads hrPrinterDetectedErrorState and prtAlertTable and
// maps the conditions to alert kinds (the SNMP view of the printer, for
// devices whose IPP state is poor).
func (p *Printer) SNMPConditions(ctx context.Context) ([]string, []SNMPAlert, []AlertKind, error) {
	if p.snmp == nil {
		return nil, nil, nil, fmt.Errorf("printer %s: options.snmp is not set", p.dev.ID)
	}
	conds, err := p.snmp.errorState(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	alerts, err := p.snmp.alerts(ctx)
	if err != nil {
		return conds, nil, nil, err
	}
	var kinds []AlertKind
	for _, c := range conds {
		if k, ok := snmpKinds[c]; ok {
			kinds = append(kinds, k)
		}
	}
	return conds, alerts, kinds, nil
}

// CopyPages is what a walk-up copy session made: the lifetime counter's
// difference between start and end minus what print jobs that ended in
// between added to it (their CounterImpressions). The error says why the
// readings cannot be compared (another source, the counter went back: a
// replaced board or a reset) or why the jobs do not fit (more than the
// counter moved: a reading taken before the engine counted).
func CopyPages(start, end Counters, jobs []JobDone) (int64, error) {
	if start.Source != end.Source {
		return 0, fmt.Errorf("copy session: counters from %s and %s cannot be compared", start.Source, end.Source)
	}
	if end.At.Before(start.At) {
		return 0, fmt.Errorf("copy session: end reading %v is before the start %v", end.At, start.At)
	}
	diff := end.Impressions - start.Impressions
	if diff < 0 {
		return 0, fmt.Errorf("copy session: counter went back from %d to %d (device reset or replaced)", start.Impressions, end.Impressions)
	}
	var printed int64
	for _, j := range jobs {
		if j.At.After(start.At) && !j.At.After(end.At) {
			printed += int64(j.CounterImpressions)
		}
	}
	if printed > diff {
		return 0, fmt.Errorf("copy session: print jobs made %d impressions but the counter moved %d", printed, diff)
	}
	return diff - printed, nil
}
