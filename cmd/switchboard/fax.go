package main

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"switchboard/drivers/faxmodem"
	"switchboard/internal/business"
	"switchboard/internal/events/fax"
	tifff "switchboard/internal/fax/tiff"
	"switchboard/internal/transport"
	"text/tabwriter"
	"time"

	"switchboard/internal/config"
	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/gateway"
	"switchboard/internal/report"
	"switchboard/internal/store"
)

const faxUsage = `usage:
  switchboard fax send    --device D --to NUMBER --room R --operator O [--resolution fine|standard] FILE
  switchboard fax list    [--unassigned] [--date YYYY-MM-DD] [--csv|--json]   the register of received faxes
  switchboard fax show    ID [--png DIR]                                       the register entry; --png renders its pages
  switchboard fax probe   --port /dev/ttyACM0 [--baud 115200]                  what the modem says and the profile it matches
  switchboard fax assign  --device D --id ID [--room R] [--name NAME]
  switchboard fax deliver --device D --id ID --by OPERATOR --signed NAME
FILE is a PDF, TIFF, PNG, JPEG or plain text file ("-": standard input). Every subcommand takes --config F.`

// faxCommand is `switchboard fax send|list|show|probe|assign|deliver`.
func faxCommand() *cobra.Command {
	return group("fax", "business-center fax: send --to N --room R --operator O FILE, list [--unassigned] [--date D], show ID, assign, deliver",
		faxUsage,
		leaf("send --device D --to NUMBER --room R --operator O [--resolution fine|standard] FILE",
			"send a document (PDF, TIFF, PNG, JPEG, text; \"-\": stdin), billed to a room", faxUsage, faxFlags("send")),
		leaf("list [--unassigned] [--date YYYY-MM-DD] [--csv|--json]", "the register of received faxes", faxUsage, faxFlags("list")),
		leaf("show ID [--png DIR]", "a register entry; --png renders its pages", faxUsage, faxFlags("show")),
		leaf("probe --port /dev/ttyACM0 [--baud 115200]", "what the modem says and the profile it matches", faxUsage, faxFlags("probe")),
		leaf("assign --device D --id ID [--room R] [--name NAME]", "assign a received fax to a room or guest", faxUsage, faxFlags("assign")),
		leaf("deliver --device D --id ID --by OPERATOR --signed NAME", "record a received fax's delivery", faxUsage, faxFlags("deliver")))
}

// faxFlags declares the flags of `fax sub`: --config, --device and
// --timeout for each, and the subcommand's own.
func faxFlags(sub string) func(fl *pflag.FlagSet) action {
	return func(fl *pflag.FlagSet) action {
		configFlag := fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")")
		device := fl.String("device", "fax1", "the fax modem's device id")
		timeout := fl.Duration("timeout", 4*time.Minute, "how long to wait for the gateway's answer")
		var to, room, operator, resolution, date, name, by, signed, pngDir, port *string
		var baud *int
		var unassigned, asCSV, asJSON *bool
		var id *int64
		switch sub {
		case "send":
			to = fl.String("to", "", "the fax number (required)")
			room = fl.String("room", "", "the room to bill, or "+business.WalkIn+" (required)")
			operator = fl.String("operator", "", "your operator code (required)")
			resolution = fl.String("resolution", "fine", "fine or standard")
		case "list":
			unassigned = fl.Bool("unassigned", false, "only faxes nobody has been found for")
			date = fl.String("date", "", "only faxes received that day (YYYY-MM-DD, site time zone)")
			asCSV = fl.Bool("csv", false, "write CSV")
			asJSON = fl.Bool("json", false, "write JSON")
		case "show":
			pngDir = fl.String("png", "", "also render the pages as PNG files into `DIR` (page-1.png, ...)")
		case "probe":
			port = fl.String("port", "", "the modem's serial port (required)")
			baud = fl.Int("baud", 115200, "the port's speed")
		case "assign":
			id = fl.Int64("id", 0, "the register's fax id (required)")
			room = fl.String("room", "", "the guest's room")
			name = fl.String("name", "", "the guest's name as on the fax")
		case "deliver":
			id = fl.Int64("id", 0, "the register's fax id (required)")
			by = fl.String("by", "", "who delivered it (required)")
			signed = fl.String("signed", "", "who signed for it (required)")
		}
		return func(pos []string, stdout, stderr io.Writer) int {
			var err error
			if sub == "probe" {
				return faxProbe(*port, *baud, stdout, stderr)
			}
			cfg, ok := loadConfig(*configFlag, stderr)
			if !ok {
				return 2
			}
			switch sub {
			case "send":
				if *to == "" || *room == "" || *operator == "" || len(pos) != 1 {
					fmt.Fprintln(stderr, "switchboard fax send: --to, --room, --operator and one FILE are required")
					fmt.Fprintln(stderr, faxUsage)
					return 2
				}
				var doc []byte
				limit := cfg.Fax.MaxDocument() // fax.max_document_mib
				if pos[0] == "-" {
					doc, err = io.ReadAll(io.LimitReader(os.Stdin, int64(limit)+1))
				} else {
					doc, err = os.ReadFile(pos[0])
				}
				if err == nil && len(doc) > limit {
					err = fmt.Errorf("the document is over %d MiB (fax.max_document_mib)", limit>>20)
				}
				if err == nil && len(doc) == 0 {
					err = errors.New("the document is empty")
				}
				if err != nil {
					fmt.Fprintf(stderr, "switchboard fax send: %v\n", err)
					return 2
				}
				data := fax.SendData{To: *to, Room: *room, Operator: *operator, Resolution: *resolution, Document: base64.StdEncoding.EncodeToString(doc)}
				return sendCommand(cfg, "fax", *device, "fax.send", data, *timeout, stdout, stderr)
			case "assign":
				if *id < 1 || (*room == "" && *name == "") {
					fmt.Fprintln(stderr, "switchboard fax assign: --id and --room or --name are required")
					return 2
				}
				return sendCommand(cfg, "fax", *device, "fax.assign", fax.AssignData{ID: *id, Room: *room, Name: *name}, *timeout, stdout, stderr)
			case "deliver":
				if *id < 1 || *by == "" || *signed == "" {
					fmt.Fprintln(stderr, "switchboard fax deliver: --id, --by and --signed are required")
					return 2
				}
				return sendCommand(cfg, "fax", *device, "fax.deliver", fax.DeliverData{ID: *id, DeliveredBy: *by, SignedBy: *signed}, *timeout, stdout, stderr)
			}
			ctx := context.Background()
			g, err := gateway.OpenOffline(ctx, cfg, discardLogger())
			if err != nil {
				fmt.Fprintf(stderr, "switchboard fax %s: %v\n", sub, err)
				return 1
			}
			defer g.Close()
			loc := g.Location()
			if sub == "show" {
				if len(pos) != 1 {
					fmt.Fprintln(stderr, "switchboard fax show: one ID")
					return 2
				}
				n, err := strconv.ParseInt(pos[0], 10, 64)
				if err != nil {
					fmt.Fprintf(stderr, "switchboard fax show: %q: not an id\n", pos[0])
					return 2
				}
				f, err := faxjobs.GetFax(ctx, g.Store(), n)
				if err != nil {
					fmt.Fprintf(stderr, "switchboard fax show: %v\n", err)
					return 1
				}
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				enc.Encode(registerRow(f, loc))
				if *pngDir != "" {
					files, err := faxPagesToPNG(registerRow(f, loc).TIFF, *pngDir)
					if err != nil {
						fmt.Fprintf(stderr, "switchboard fax show: pages: %v\n", err)
						return 1
					}
					for _, name := range files {
						fmt.Fprintln(stderr, "page written to", name)
					}
				}
				return 0
			}
			// list
			var filter faxjobs.Filter
			filter.Unassigned = *unassigned
			if *date != "" {
				d, err := time.ParseInLocation(time.DateOnly, *date, loc)
				if err != nil {
					fmt.Fprintf(stderr, "switchboard fax list: --date %q: want YYYY-MM-DD\n", *date)
					return 2
				}
				filter.From, filter.To = d, d.AddDate(0, 0, 1)
			}
			if *asCSV && *asJSON {
				fmt.Fprintln(stderr, "switchboard fax list: --csv and --json exclude each other")
				return 2
			}
			list, err := faxjobs.List(ctx, g.Store(), filter)
			if err != nil {
				fmt.Fprintf(stderr, "switchboard fax list: %v\n", err)
				return 1
			}
			rows := make([]faxRegisterRow, 0, len(list))
			for _, f := range list {
				rows = append(rows, registerRow(f, loc))
			}
			return writeRegister(stdout, rows, *asCSV, *asJSON)
		}
	}
}

// faxRegisterRow is one line of the register (接收傳真程序: name, room, date,
// pages, received, delivered, signed by).
type faxRegisterRow struct {
	ID          int64  `json:"id"`
	Received    string `json:"received"`
	Pages       int    `json:"pages"`
	Partial     bool   `json:"partial"`
	BadLines    int    `json:"bad_lines"`
	RemoteID    string `json:"remote_id"`
	Status      string `json:"status"`
	Room        string `json:"room"`
	Name        string `json:"name"`
	Note        string `json:"note,omitempty"` // CHECK OUT date
	Delivered   string `json:"delivered,omitempty"`
	DeliveredBy string `json:"delivered_by,omitempty"`
	SignedBy    string `json:"signed_by,omitempty"`
	TIFF        string `json:"tiff,omitempty"`
	PDF         string `json:"pdf,omitempty"`
}

func registerRow(f faxjobs.Fax, loc *time.Location) faxRegisterRow {
	r := faxRegisterRow{ID: f.ID, Received: f.Received.In(loc).Format("2006-01-02 15:04"), Pages: f.Pages, Partial: f.Partial, BadLines: f.BadLines,
		RemoteID: f.RemoteID, Status: f.Status, Room: f.Room, Name: f.Name, DeliveredBy: f.DeliveredBy, SignedBy: f.SignedBy, TIFF: f.TIFF, PDF: f.PDF}
	if f.CheckedOut != nil {
		r.Note = "CHECK OUT " + f.CheckedOut.In(loc).Format(time.DateOnly)
	}
	if f.Delivered != nil {
		r.Delivered = f.Delivered.In(loc).Format("2006-01-02 15:04")
	}
	return r
}

func writeRegister(w io.Writer, rows []faxRegisterRow, asCSV, asJSON bool) int {
	switch {
	case asJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return 1
		}
		return 0
	case asCSV:
		cw := csv.NewWriter(w)
		cw.Write([]string{"id", "received", "pages", "partial", "remote_id", "status", "room", "name", "note", "delivered", "delivered_by", "signed_by"})
		for _, r := range rows {
			cw.Write([]string{strconv.FormatInt(r.ID, 10), r.Received, strconv.Itoa(r.Pages), strconv.FormatBool(r.Partial), r.RemoteID, r.Status,
				r.Room, r.Name, r.Note, r.Delivered, r.DeliveredBy, r.SignedBy})
		}
		cw.Flush()
		return 0
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tPAGES\tFROM\tSTATUS\tROOM\tNAME\tDELIVERED\tBY\tSIGNED")
	for _, r := range rows {
		pages := strconv.Itoa(r.Pages)
		if r.Partial {
			pages += " (partial)"
		}
		status := r.Status
		if r.Note != "" {
			status = r.Note
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Received, pages, r.RemoteID, status, r.Room, r.Name,
			r.Delivered, r.DeliveredBy, strings.TrimSpace(r.SignedBy))
	}
	tw.Flush()
	if len(rows) == 0 {
		fmt.Fprintln(w, "(no faxes)")
	}
	return 0
}

// faxReportFlags is `switchboard report faxes --date D`: the day's register of
// received faxes (name, room, date, pages, received, delivered, signed by).
func faxReportFlags(fl *pflag.FlagSet) action {
	configFlag := fl.String("config", "", "config file (default $"+config.EnvVar+", else "+config.DefaultPath+")")
	date := fl.String("date", "", "the day, YYYY-MM-DD in the site's time zone (required)")
	asCSV := fl.Bool("csv", false, "write CSV instead of a table")
	asJSON := fl.Bool("json", false, "write JSON instead of a table")
	return func(pos []string, stdout, stderr io.Writer) int {
		if len(pos) > 0 {
			fmt.Fprintf(stderr, "switchboard report faxes: unexpected argument %q\n", arg(pos, 0))
			return 2
		}
		format := report.Text
		switch {
		case *asCSV && *asJSON:
			fmt.Fprintln(stderr, "switchboard report faxes: --csv and --json exclude each other")
			return 2
		case *asCSV:
			format = report.CSV
		case *asJSON:
			format = report.JSON
		}
		cfg, ok := loadConfig(*configFlag, stderr)
		if !ok {
			return 2
		}
		loc := cfg.Site.Location()
		if *date == "" {
			fmt.Fprintf(stderr, "switchboard report faxes: --date is required (e.g. --date %s)\n", time.Now().In(loc).Format(time.DateOnly))
			return 2
		}
		period, err := report.Day(*date, loc)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard report faxes: %v\n", err)
			return 2
		}
		// A report reads an existing ledger; it never creates an empty one.
		if _, err := os.Stat(cfg.Store.Path); err != nil {
			fmt.Fprintf(stderr, "switchboard report faxes: no ledger at store.path %s: %v\n", cfg.Store.Path, err)
			return 1
		}
		ctx := context.Background()
		st, err := store.Open(ctx, cfg.Store.Path)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard report faxes: %v\n", err)
			return 1
		}
		defer st.Close()
		list, err := report.LoadFaxes(ctx, st, period)
		if err != nil {
			fmt.Fprintf(stderr, "switchboard report faxes: %v\n", err)
			return 1
		}
		r := report.Faxes(period, list)
		if err := report.Write(stdout, format, r.Heading(), r.Tables(), r); err != nil {
			fmt.Fprintf(stderr, "switchboard report faxes: %v\n", err)
			return 1
		}
		return 0
	}
}

// faxProbe asks a modem what it is (AT+FCLASS=?, AT+FMI?, AT+FMM?, ATI3)
// through go.bug.st/serial, as the driver would, and names the profile that
// matches.
func faxProbe(port string, baud int, stdout, stderr io.Writer) int {
	if port == "" {
		fmt.Fprintln(stderr, "switchboard fax probe: --port is required")
		return 2
	}
	t, err := transport.NewSerial(transport.SerialOptions{Port: port, Baud: baud, DataBits: 8, Parity: "none", StopBits: "1", Flow: "none"})
	if err != nil {
		fmt.Fprintf(stderr, "switchboard fax probe: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rw, err := t.Open(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard fax probe: %s: %v\n", port, err)
		return 1
	}
	defer rw.Close()
	res, id, err := faxmodem.Probe(ctx, rw)
	fmt.Fprintf(stdout, "AT+FCLASS=?  %s\nAT+FMI?      %s\nAT+FMM?      %s\nATI3         %s\n", res.FClass, res.FMI, res.FMM, res.ATI3)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard fax probe: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "profile      %s\n", id)
	return 0
}

// faxPagesToPNG renders a stored fax's pages (TIFF Class F) as PNG files.
func faxPagesToPNG(tiffPath, dir string) ([]string, error) {
	if tiffPath == "" {
		return nil, errors.New("no TIFF stored for this fax")
	}
	data, err := os.ReadFile(tiffPath)
	if err != nil {
		return nil, err
	}
	pages, err := tifff.Read(data)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	var out []string
	for i, p := range pages {
		bm, err := p.Decode()
		if err != nil {
			return out, fmt.Errorf("page %d: %w", i+1, err)
		}
		name := filepath.Join(dir, fmt.Sprintf("page-%d.png", i+1))
		f, err := os.Create(name)
		if err != nil {
			return out, err
		}
		err = png.Encode(f, bm)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return out, fmt.Errorf("page %d: %w", i+1, err)
		}
		out = append(out, name)
	}
	return out, nil
}
