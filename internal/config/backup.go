package config

import "time"

// Backup is the daemon's schedule of verified store backups
// (docs/operations.md, "Backups"); nil: none are made by the daemon.
type Backup struct {
	// Dir is the folder of the backups (created 0700 if missing).
	Dir string `yaml:"dir"`
	// EveryH is the hours between two backups; default 24.
	EveryH int `yaml:"every_h"`
	// Keep is how many backups are kept, the oldest deleted; default 14.
	Keep int `yaml:"keep"`
}

// Defaults of backup.every_h and backup.keep.
const (
	DefaultBackupEveryH = 24
	DefaultBackupKeep   = 14
)

// Every is every_h or its default.
func (b *Backup) Every() time.Duration {
	return time.Duration(orDefault(b.EveryH, DefaultBackupEveryH)) * time.Hour
}

// Kept is keep or its default.
func (b *Backup) Kept() int { return orDefault(b.Keep, DefaultBackupKeep) }

func (c *checker) backup(b *Backup) {
	if b == nil {
		return
	}
	if b.Dir == "" {
		c.add("backup.dir", "required (the folder of the backups)")
	}
	c.intRange("backup.every_h", b.EveryH, 1, 8760, DefaultBackupEveryH, "hours")
	c.intRange("backup.keep", b.Keep, 1, 365, DefaultBackupKeep, "backups")
}
