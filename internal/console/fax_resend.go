package console

// Re-sending a failed fax from its job page (發送傳真程序: the guest is
// told the price before anything is sent, so a re-send is quoted on a
// confirm step too). The desk keeps a job's pages until the retention
// purge (faxdesk.Resend says what it sends); the new fax.send is a job of
// its own, and the two are linked in the key-value area (namespace
// console.fax.resend, no migration) so each job page says "re-send of #N"
// or "re-sent as #M". A job is re-sent once: a re-send that fails in turn
// is re-sent from its own page.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	faxjobs "switchboard/internal/fax/jobs"
	"switchboard/internal/faxdesk"
	"switchboard/internal/store"
)

// resendNS keeps the links: "of/{job}" the re-send of a job (resendOf),
// "cmd/{command id}" the job a fax.send re-sent (its id as text).
const resendNS = "console.fax.resend"

// resendClaimTTL: a claim written before a fax.send whose answer never
// came back (the process stopped between the two) stops blocking the job
// after this long. The send waits at most FaxOptions.SendWait.
const resendClaimTTL = 2 * time.Minute

// resendOf is a job's re-send: Command is the new fax.send's id ("" while
// it is being sent), Job its job once the desk queued it.
type resendOf struct {
	Command string    `json:"command,omitempty"`
	Job     int64     `json:"job,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// resendLinks is what a job page shows of re-sends.
type resendLinks struct {
	Of      int64 // this job re-sends job Of
	As      int64 // this job was re-sent as job As
	Pending bool  // a re-send is being sent, or was sent and is not queued yet
}

// resendLinksOf reads job j's links.
func (c *Console) resendLinksOf(ctx context.Context, j faxjobs.Job) (resendLinks, error) {
	st := c.o.Host.Store()
	var l resendLinks
	if v, ok, err := st.Get(ctx, resendNS, "cmd/"+j.CommandID); err != nil {
		return l, fmt.Errorf("re-send link of fax job %d: %w", j.ID, err)
	} else if ok {
		l.Of, _ = strconv.ParseInt(string(v), 10, 64)
	}
	ro, ok, err := readResendOf(ctx, st, j.ID)
	if err != nil || !ok {
		return l, err
	}
	switch {
	case ro.Job != 0:
		l.As = ro.Job
	case ro.Command != "":
		// Sent without its job known yet (the page stopped waiting): the
		// desk finds it by its command once queued.
		if nj, err := faxjobs.JobByCommand(ctx, st, ro.Command); err == nil {
			l.As = nj.ID
		} else {
			l.Pending = true
		}
	default:
		l.Pending = c.now().Sub(ro.At) < resendClaimTTL
	}
	return l, nil
}

func readResendOf(ctx context.Context, st *store.Store, job int64) (resendOf, bool, error) {
	var ro resendOf
	v, ok, err := st.Get(ctx, resendNS, "of/"+strconv.FormatInt(job, 10))
	if err != nil || !ok {
		if err != nil {
			err = fmt.Errorf("re-send of fax job %d: %w", job, err)
		}
		return ro, false, err
	}
	if err := json.Unmarshal(v, &ro); err != nil {
		return ro, false, fmt.Errorf("re-send of fax job %d: %w", job, err)
	}
	return ro, true, nil
}

// claimResend marks job id as being re-sent, in one transaction so that
// two clerks (or a double click) send it once; false when a re-send
// exists or is under way.
func (c *Console) claimResend(ctx context.Context, id int64, by string) (bool, error) {
	key := "of/" + strconv.FormatInt(id, 10)
	claimed := false
	err := c.o.Host.Store().InTx(ctx, func(tx *store.Tx) error {
		v, ok, err := tx.Get(resendNS, key)
		if err != nil {
			return err
		}
		if ok {
			var ro resendOf
			if json.Unmarshal(v, &ro) == nil && ro.Command == "" && c.now().Sub(ro.At) >= resendClaimTTL {
				ok = false // a claim whose send never came back
			}
		}
		if ok {
			return nil
		}
		b, err := json.Marshal(resendOf{By: by, At: c.now()})
		if err != nil {
			return err
		}
		claimed = true
		return tx.Put(resendNS, key, b)
	})
	if err != nil {
		return false, fmt.Errorf("re-send of fax job %d: %w", id, err)
	}
	return claimed, nil
}

// linkResend records that job id was re-sent by command (its job newJob,
// 0 while not known), or drops the claim when command is "" (not sent).
func (c *Console) linkResend(ctx context.Context, id int64, by, command string, newJob int64) error {
	key := "of/" + strconv.FormatInt(id, 10)
	err := c.o.Host.Store().InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		if command == "" {
			return tx.Delete(resendNS, key)
		}
		b, err := json.Marshal(resendOf{Command: command, Job: newJob, By: by, At: c.now()})
		if err != nil {
			return err
		}
		if err := tx.Put(resendNS, key, b); err != nil {
			return err
		}
		return tx.Put(resendNS, "cmd/"+command, []byte(strconv.FormatInt(id, 10)))
	})
	if err != nil {
		return fmt.Errorf("re-send link of fax job %d: %w", id, err)
	}
	return nil
}

// faxResend re-sends a failed job: without confirm=yes it quotes the
// re-send on the job's page; with it, it sends fax.send as the clerk and
// goes to the new job's page.
func (c *Console) faxResend(w http.ResponseWriter, r *http.Request, s session) {
	v, ok := c.readJobView(w, r, s)
	if !ok {
		return
	}
	fo := c.faxOptions()
	refuse := func(status int, problem string) {
		c.faxJobView(w, r, s, status, v, map[string]any{"Problem": problem})
	}
	data, doc, err := faxdesk.Resend(v.Job, s.code)
	switch {
	case errors.Is(err, faxdesk.ErrNotResendable):
		refuse(http.StatusConflict, "not re-sent: "+err.Error())
		return
	case err != nil:
		c.o.Log.Error("fax re-send", "job", v.ID, "err", err)
		refuse(http.StatusInternalServerError, "not re-sent: the fax's pages cannot be read: see the gateway's log")
		return
	case fo.Desk == nil:
		refuse(http.StatusServiceUnavailable, "no fax modem is configured: faxes cannot be sent")
		return
	}
	links, err := c.resendLinksOf(r.Context(), v.Job)
	if err != nil {
		c.o.Log.Error("fax re-send", "job", v.ID, "err", err)
		refuse(http.StatusInternalServerError, "not re-sent: the re-send links cannot be read: see the gateway's log")
		return
	}
	if links.As != 0 || links.Pending {
		refuse(http.StatusConflict, fmt.Sprintf("not re-sent: fax job %d was re-sent already (see below); re-send that job if it failed too", v.ID))
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		q, err := fo.Desk.Quote(r.Context(), v.Device, data, doc)
		if err != nil {
			p, ok := fieldProblem(err)
			if !ok {
				c.o.Log.Error("fax re-send quote", "job", v.ID, "err", err)
				p = "the fax could not be quoted: see the gateway's log"
			}
			refuse(http.StatusUnprocessableEntity, "not re-sent: "+p)
			return
		}
		c.faxJobView(w, r, s, http.StatusOK, v, map[string]any{"Resend": q})
		return
	}
	claimed, err := c.claimResend(r.Context(), v.ID, s.code)
	if err != nil || !claimed {
		if err != nil {
			c.o.Log.Error("fax re-send", "job", v.ID, "err", err)
		}
		refuse(http.StatusConflict, fmt.Sprintf("not re-sent: fax job %d is being re-sent or was re-sent already", v.ID))
		return
	}
	data.Document = base64.StdEncoding.EncodeToString(doc)
	ctx, cancel := context.WithTimeout(r.Context(), fo.SendWait)
	defer cancel()
	rep, err := c.command(ctx, &s, "fax", v.Device, "fax.send", data)
	switch {
	case errors.Is(err, errNotYours):
		c.dropResend(r.Context(), v.ID, s.code)
		c.forbidden(w, r, s, "role")
		return
	case errors.Is(err, context.DeadlineExceeded) && rep.CommandID != "":
		// Sent, not answered within the wait: linked by its command, the
		// job page shows the new job once the desk queued it.
		c.o.Log.Warn("fax.send (re-send) not answered within the page's wait", "job", v.ID, "command", rep.CommandID)
	case err != nil || rep.Status == "failed":
		c.dropResend(r.Context(), v.ID, s.code)
		reason := rep.Reason
		if err != nil {
			c.o.Log.Error("console command", "what", "fax.send (re-send)", "job", v.ID, "err", err)
			reason = err.Error()
		}
		refuse(http.StatusUnprocessableEntity, "not re-sent: "+reason)
		return
	}
	var newJob int64
	if nj, err := faxjobs.JobByCommand(r.Context(), c.o.Host.Store(), rep.CommandID); err == nil {
		newJob = nj.ID
	}
	if err := c.linkResend(r.Context(), v.ID, s.code, rep.CommandID, newJob); err != nil {
		c.o.Log.Error("fax re-send link", "job", v.ID, "command", rep.CommandID, "err", err)
	}
	if newJob == 0 {
		http.Redirect(w, r, "/fax/jobs/"+strconv.FormatInt(v.ID, 10), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/fax/jobs/"+strconv.FormatInt(newJob, 10), http.StatusSeeOther)
}

// dropResend frees a job claimed for a re-send that was not sent.
func (c *Console) dropResend(ctx context.Context, id int64, by string) {
	if err := c.linkResend(ctx, id, by, "", 0); err != nil {
		c.o.Log.Error("fax re-send claim not dropped", "job", id, "err", err)
	}
}
