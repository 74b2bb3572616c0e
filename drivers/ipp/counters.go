package ipp

import (
	"context"
	"errors"
	"fmt"
	"switchboard/internal/events/printer"

	goipp "github.com/phin1x/go-ipp"
)

// ErrNoCounters means neither IPP nor SNMP can give the counters.
var ErrNoCounters = errors.New("no counter source")

// Counters reads the printer's lifetime impression counters: from IPP
// (printer-impressions-completed, PWG 5100.13) where the profile says the
// device has them, otherwise from SNMP prtMarkerLifeCount. The reading is
// journaled and delivered as a CounterReading.
func (p *Printer) Counters(ctx context.Context) (printer.Counters, error) {
	src := p.prof.Counters.Source
	if src == "ipp" || src == "auto" {
		c, err := p.ippCounters(ctx)
		if err == nil || src == "ipp" || !errors.Is(err, ErrNoCounters) {
			return c, err
		}
	}
	return p.snmpCounters(ctx)
}

func (p *Printer) ippCounters(ctx context.Context) (printer.Counters, error) {
	attr, colAttr := p.prof.Counters.IPPAttribute, p.prof.Counters.IPPColAttribute
	req := p.c.newRequest(opGetPrinterAttributes)
	req.OperationAttributes[goipp.AttributeRequestedAttributes] = []string{attr, colAttr}
	resp, _, err := p.c.do(ctx, "Get-Printer-Attributes", req, nil, 0)
	if err != nil {
		return printer.Counters{}, fmt.Errorf("printer %s: counters: %w", p.dev.ID, err)
	}
	var a Attrs
	if len(resp.PrinterAttributes) > 0 {
		a = convertAttrs(resp.PrinterAttributes[0])
	}
	at := p.now()
	c := printer.Counters{At: at, Source: printer.FromIPP, Color: -1, Mono: -1}
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
		return printer.Counters{}, fmt.Errorf("printer %s: printer reports no %s: %w", p.dev.ID, attr, ErrNoCounters)
	}
	c.Impressions = int64(total)
	snap := snapshot{Device: p.dev.ID, Op: "Get-Printer-Attributes", Status: statusHex(resp.StatusCode), Attrs: a}
	if err := p.emit(ctx, mustJSON(snap), p.key("counters", at), at, printer.CounterReading{Device: p.dev.ID, Counters: c}); err != nil {
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

func (p *Printer) snmpCounters(ctx context.Context) (printer.Counters, error) {
	if p.snmp == nil {
		return printer.Counters{}, fmt.Errorf("printer %s: profile %s reads counters over SNMP but options.snmp is not set: %w", p.dev.ID, p.prof.ID, ErrNoCounters)
	}
	n, err := p.snmp.lifeCount(ctx)
	if err != nil {
		return printer.Counters{}, fmt.Errorf("printer %s: counters: %w", p.dev.ID, err)
	}
	at := p.now()
	c := printer.Counters{At: at, Source: printer.FromSNMP, Impressions: n, Color: -1, Mono: -1}
	frame := mustJSON(map[string]any{"device": p.dev.ID, "op": "snmp-get", "oid": oidMarkerLifeCount, "value": n})
	if err := p.emit(ctx, frame, p.key("counters", at), at, printer.CounterReading{Device: p.dev.ID, Counters: c}); err != nil {
		return c, fmt.Errorf("printer %s: counters: %w", p.dev.ID, err)
	}
	return c, nil
}

// SNMPConditions reads hrPrinterDetectedErrorState and prtAlertTable and
// maps the conditions to alert kinds (the SNMP view of the printer, for
// devices whose IPP state is poor).
func (p *Printer) SNMPConditions(ctx context.Context) ([]string, []SNMPAlert, []printer.AlertKind, error) {
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
	var kinds []printer.AlertKind
	for _, c := range conds {
		if k, ok := snmpKinds[c]; ok {
			kinds = append(kinds, k)
		}
	}
	return conds, alerts, kinds, nil
}
