package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"switchboard/internal/business"
	"switchboard/internal/config"
	"switchboard/internal/events/printer"
	"switchboard/internal/printdesk"
)

const printUsage = `usage: switchboard print --printer P --room R --operator O [--copies N]
         [--sides one-sided|two-sided-long-edge|two-sided-short-edge] [--color monochrome|color]
         [--media iso_a4_210x297mm] [--name NAME] [--format MIME] [--keep-until YYYY-MM-DD|RFC3339] FILE
FILE "-" reads standard input. Without --format, PNG is sent as JPEG and plain text as a PDF
(Courier, A4). The document is deleted when the job ends unless --keep-until is given.`

func printFlags(fl *pflag.FlagSet) action {
	configFlag := fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")")
	prn := fl.String("printer", "", "the printer's device id (required)")
	room := fl.String("room", "", "the room to bill, or "+business.WalkIn+" (required)")
	operator := fl.String("operator", "", "your operator code (required)")
	copies := fl.Int("copies", 1, "copies")
	sides := fl.String("sides", "one-sided", "one-sided, two-sided-long-edge or two-sided-short-edge")
	color := fl.String("color", "monochrome", "monochrome or color")
	media := fl.String("media", printer.DefaultMedia, "PWG media name")
	name := fl.String("name", "", "job name (default: the file name)")
	format := fl.String("format", "", "MIME type (default: from the document's first bytes)")
	keep := fl.String("keep-until", "", "keep the document until this date (YYYY-MM-DD: to the end of that day) or RFC 3339 time")
	timeout := fl.Duration("timeout", 2*time.Minute, "how long to wait for the gateway's answer")
	return func(pos []string, stdout, stderr io.Writer) int {
		var missing []string
		for f, v := range map[string]string{"--printer": *prn, "--room": *room, "--operator": *operator} {
			if v == "" {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 || len(pos) != 1 {
			if len(missing) > 0 {
				fmt.Fprintf(stderr, "switchboard print: %s required\n", strings.Join(missing, ", "))
			} else {
				fmt.Fprintln(stderr, "switchboard print: one FILE to print")
			}
			fmt.Fprintln(stderr, printUsage)
			return 2
		}
		var doc []byte
		var err error
		if pos[0] == "-" {
			doc, err = io.ReadAll(io.LimitReader(os.Stdin, printer.MaxDocument+1))
		} else {
			var fi os.FileInfo
			if fi, err = os.Stat(pos[0]); err == nil && fi.Size() > printer.MaxDocument {
				err = fmt.Errorf("%s is %.1f MiB: the limit is %d MiB", pos[0], float64(fi.Size())/(1<<20), printer.MaxDocument>>20)
			} else if err == nil {
				doc, err = os.ReadFile(pos[0])
			}
			if *name == "" {
				*name = filepath.Base(pos[0])
			}
		}
		if err == nil && len(doc) > printer.MaxDocument {
			err = fmt.Errorf("the document is over %d MiB", printer.MaxDocument>>20)
		}
		if err == nil && len(doc) == 0 {
			err = errors.New("the document is empty")
		}
		if err == nil && *format == "" {
			// The console's preparation: PNG to JPEG, plain text to PDF (the
			// printers take neither); PDF, PostScript and JPEG as they are.
			var d printdesk.Document
			if d, err = printdesk.PrepareDocument(doc, printer.MaxDocument, textFont(doc, discardLogger())); err == nil {
				doc, *format = d.Data, d.Format
				if d.Converted != "" {
					fmt.Fprintf(stderr, "switchboard print: %s converted to %s (%d pages)\n", d.Converted, d.Format, d.Pages)
				}
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "switchboard print: %v\n", err)
			return 2
		}
		cfg, ok := loadConfig(*configFlag, stderr)
		if !ok {
			return 2
		}
		data := printer.SubmitData{Room: *room, Operator: *operator, Copies: *copies, Sides: *sides, Color: *color, Media: *media,
			Name: *name, Format: *format, KeepUntil: *keep, Document: base64.StdEncoding.EncodeToString(doc)}
		return sendCommand(cfg, "print", *prn, "print.submit", data, *timeout, stdout, stderr)
	}
}

const copyUsage = `usage: switchboard copy start --device D --room R --operator O [--media iso_a4_210x297mm] [--color monochrome|color]
       switchboard copy stop  --device D --room R [--void --reason TEXT]
start reads the copier's lifetime counter; stop reads it again and bills the difference
minus the print jobs that ran meanwhile. --void closes a session without billing.`

// copyCommand is `switchboard copy start|stop`: walk-up copy sessions.
func copyCommand() *cobra.Command {
	return group("copy", "walk-up copy sessions metered from the copier's counter: start | stop", copyUsage,
		leaf("start --device D --room R --operator O [--media M] [--color monochrome|color]",
			"read the copier's counter and open a session for the room", copyUsage, copyFlags("start")),
		leaf("stop --device D --room R [--void --reason TEXT]",
			"read the counter again and bill the difference", copyUsage, copyFlags("stop")))
}

// copyFlags declares the flags of `copy sub`.
func copyFlags(sub string) func(fl *pflag.FlagSet) action {
	return func(fl *pflag.FlagSet) action {
		configFlag := configFlag(fl)
		device := fl.String("device", "", "the copier's device id (required)")
		room := fl.String("room", "", "the room to bill, or "+business.WalkIn+" (required)")
		operator, media, color := new(string), new(string), new(string)
		void, reason := new(bool), new(string)
		if sub == "start" {
			operator = fl.String("operator", "", "your operator code (required)")
			media = fl.String("media", printer.DefaultMedia, "the paper size billed")
			color = fl.String("color", "monochrome", "monochrome or color")
		} else {
			void = fl.Bool("void", false, "close the session without billing (the counter cannot be trusted)")
			reason = fl.String("reason", "", "with --void: why")
		}
		timeout := fl.Duration("timeout", 15*time.Second, "how long to wait for the gateway's answer")
		return func(pos []string, stdout, stderr io.Writer) int {
			if len(pos) > 0 {
				fmt.Fprintf(stderr, "switchboard copy %s: unexpected argument %q\n", sub, pos[0])
				return 2
			}
			if *device == "" || *room == "" || (sub == "start" && *operator == "") || (*void && *reason == "") {
				fmt.Fprintln(stderr, copyUsage)
				return 2
			}
			cfg, ok := loadConfig(*configFlag, stderr)
			if !ok {
				return 2
			}
			if sub == "start" {
				return sendCommand(cfg, "print", *device, "copy.start", printer.CopyStartData{Room: *room, Operator: *operator, Media: *media, Color: *color}, *timeout, stdout, stderr)
			}
			return sendCommand(cfg, "print", *device, "copy.stop", printer.CopyStopData{Room: *room, Void: *void, Reason: *reason}, *timeout, stdout, stderr)
		}
	}
}
