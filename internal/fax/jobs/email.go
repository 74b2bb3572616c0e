package faxjobs

import (
	"context"
	"time"

	"switchboard/internal/store"
)

// E-mail states of a received fax sent to the front desk's mailbox.
const (
	MailPending = "pending" // to send (again) at next_at
	MailSent    = "sent"
	MailGivenUp = "given-up" // the fax's files are gone (destroyed)
)

// The e-mail queue is a table of the store (migration 6). A failed e-mail
// never touches the register: the fax stays there whatever happens to the
// mail.

// QueueMail queues a received fax for e-mail, due at once (nothing if it
// is queued already).
func QueueMail(tx *store.Tx, faxID int64, now time.Time) error {
	_, err := tx.Exec(`INSERT OR IGNORE INTO fax_email(fax_id, state, next_at) VALUES(?, 'pending', ?)`, faxID, now.UnixNano())
	return err
}

// Mail is a queued e-mail of a fax.
type Mail struct {
	FaxID     int64
	State     string
	Attempts  int
	NextAt    time.Time
	LastError string
	Sent      *time.Time
}

// DueMail lists the faxes whose e-mail is due at now.
func DueMail(ctx context.Context, st *store.Store, now time.Time) ([]int64, error) {
	rows, err := st.Query(ctx, `SELECT fax_id FROM fax_email WHERE state='pending' AND next_at <= ? ORDER BY next_at, fax_id`, now.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// GetMail reads the e-mail state of a fax.
func GetMail(ctx context.Context, st *store.Store, faxID int64) (Mail, error) {
	var m Mail
	var next int64
	var sent *int64
	err := st.QueryRow(ctx, `SELECT fax_id, state, attempts, next_at, last_error, sent FROM fax_email WHERE fax_id=?`, faxID).
		Scan(&m.FaxID, &m.State, &m.Attempts, &next, &m.LastError, &sent)
	m.NextAt = time.Unix(0, next)
	if sent != nil {
		t := time.Unix(0, *sent)
		m.Sent = &t
	}
	return m, err
}

// MailDone records an attempt: sent (errText ""), given up, or due again at next.
func MailDone(tx *store.Tx, faxID int64, state, errText string, next, now time.Time) error {
	var sent any
	if state == MailSent {
		sent = now.UnixNano()
	}
	_, err := tx.Exec(`UPDATE fax_email SET state=?, attempts=attempts+1, next_at=?, last_error=?, sent=COALESCE(?, sent) WHERE fax_id=?`,
		state, next.UnixNano(), errText, sent, faxID)
	return err
}
