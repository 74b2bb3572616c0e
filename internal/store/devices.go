package store

import (
	"context"
	"fmt"
	"time"
)

// SetDeviceStatus records a device's last known state (status: the
// driver's JSON of it) for the shift-handover check.
func (t *Tx) SetDeviceStatus(device, domain, state string, status []byte, at time.Time) error {
	_, err := t.Exec(`INSERT INTO device_status(device, domain, state, status, updated) VALUES(?,?,?,?,?)
		ON CONFLICT(device) DO UPDATE SET domain=excluded.domain, state=excluded.state, status=excluded.status, updated=excluded.updated`,
		device, domain, state, string(status), nanos(at))
	return err
}

// SetDeviceCounters records a device's last counter reading (JSON).
func (t *Tx) SetDeviceCounters(device, domain string, counters []byte, at time.Time) error {
	_, err := t.Exec(`INSERT INTO device_status(device, domain, state, status, updated, counters, counters_at) VALUES(?,?,'unknown','{}',?,?,?)
		ON CONFLICT(device) DO UPDATE SET counters=excluded.counters, counters_at=excluded.counters_at`,
		device, domain, nanos(at), string(counters), nanos(at))
	return err
}

// DeviceAlert is an alert a device raised.
type DeviceAlert struct {
	Device, Domain, Alert, Severity, Message, Detail string
	Raised                                           time.Time
}

// RaiseDeviceAlert records an alert raised; one already open stays as it is.
func (t *Tx) RaiseDeviceAlert(a DeviceAlert) error {
	_, err := t.Exec(`INSERT OR IGNORE INTO device_alerts(device, domain, alert, severity, message, detail, raised) VALUES(?,?,?,?,?,?,?)`,
		a.Device, a.Domain, a.Alert, a.Severity, a.Message, a.Detail, nanos(a.Raised))
	return err
}

// ClearDeviceAlert records that a device's open alert ended.
func (t *Tx) ClearDeviceAlert(device, alert string, at time.Time) error {
	_, err := t.Exec(`UPDATE device_alerts SET cleared=? WHERE device=? AND alert=? AND cleared IS NULL`, nanos(at), device, alert)
	return err
}

// DeviceAlertOpen says whether a device's alert is raised and not cleared
// (a daemon that stopped with it open clears it once the cause is gone).
func (s *Store) DeviceAlertOpen(ctx context.Context, device, alert string) (bool, error) {
	var n int
	if err := s.QueryRow(ctx, `SELECT count(*) FROM device_alerts WHERE device=? AND alert=? AND cleared IS NULL`, device, alert).Scan(&n); err != nil {
		return false, fmt.Errorf("store: open alert %s of %s: %w", alert, device, err)
	}
	return n > 0, nil
}
