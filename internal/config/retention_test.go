package config

import (
	"testing"
)

func TestRetentionKeys(t *testing.T) {
	for _, tc := range []struct {
		name, store  string
		want         []string
		hour, minute int
		mask         int
	}{
		{"defaults", "store: {path: x.db}\n", nil, 3, 30, 0},
		{"set", "store: {path: x.db, retention_at: '01:15', mask_dialed_after_days: 90}\n", nil, 1, 15, 90},
		{"not a time", "store: {path: x.db, retention_at: 3h30}\n", []string{`store.retention_at: "3h30" is not a time of day: write HH:MM`}, 0, 0, 0},
		{"hour 24", "store: {path: x.db, retention_at: '24:00'}\n", []string{`store.retention_at: "24:00" is not a time of day`}, 0, 0, 0},
		{"negative mask", "store: {path: x.db, mask_dialed_after_days: -1}\n", []string{"store.mask_dialed_after_days: -1 is negative"}, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseWith([]byte(base+tc.store), "t.yaml", testDrivers{})
			wantProblems(t, err, tc.want)
			if len(tc.want) > 0 {
				return
			}
			if h, m := cfg.Store.RetentionClock(); h != tc.hour || m != tc.minute {
				t.Errorf("retention at %02d:%02d, want %02d:%02d", h, m, tc.hour, tc.minute)
			}
			if cfg.Store.MaskDialedAfterDays != tc.mask {
				t.Errorf("mask after %d days, want %d", cfg.Store.MaskDialedAfterDays, tc.mask)
			}
		})
	}
}
