package config

import (
	"testing"
	"time"
)

func TestBackup(t *testing.T) {
	for _, tc := range []struct {
		name, backup string
		want         []string
		every        time.Duration
		keep         int
	}{
		{"absent", "", nil, 0, 0},
		{"defaults", "backup: {dir: /var/backups/switchboard}\n", nil, 24 * time.Hour, 14},
		{"set", "backup: {dir: b, every_h: 6, keep: 30}\n", nil, 6 * time.Hour, 30},
		{"no dir", "backup: {every_h: 6}\n", []string{"backup.dir: required"}, 0, 0},
		{"too often", "backup: {dir: b, every_h: -1}\n", []string{"backup.every_h: -1: want 1 to 8760 hours (default 24)"}, 0, 0},
		{"keep too many", "backup: {dir: b, keep: 366}\n", []string{"backup.keep: 366: want 1 to 365 backups (default 14)"}, 0, 0},
		{"a duration string", "backup: {dir: b, every: 24h}\n", []string{"backup.every: unknown key (did you mean every_h?)"}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseWith([]byte(base+tc.backup), "t.yaml", testDrivers{})
			wantProblems(t, err, tc.want)
			if len(tc.want) == 0 && tc.every != 0 {
				if cfg.Backup == nil || cfg.Backup.Every() != tc.every || cfg.Backup.Kept() != tc.keep {
					t.Errorf("backup %+v, want every %v keep %d", cfg.Backup, tc.every, tc.keep)
				}
			}
			if tc.backup == "" && cfg.Backup != nil {
				t.Errorf("backup %+v, want nil", cfg.Backup)
			}
		})
	}
}
