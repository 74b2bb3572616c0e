// Package backup makes verified, dated copies of the gateway's SQLite ledger
// while the daemon runs, keeps the newest N of them, and restores one over
// the store when the daemon is stopped, deciding whether the restored ledger
// may keep its seqepoch. The SQL lives in internal/store (SnapshotTo,
// Inspect, RenewEpoch); this package owns the files: names, modes, fsyncs,
// renames and retention.
package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"switchboard/internal/store"
)

// nameLayout dates a backup's file name (UTC), so names sort by time.
const nameLayout = "20060102T150405Z"

// namePattern matches the backups this package made; nothing else in the
// folder is ever deleted.
var namePattern = regexp.MustCompile(`^switchboard-(\d{8}T\d{6}Z)\.db$`)

// FileName is the name of a backup made at t.
func FileName(t time.Time) string { return "switchboard-" + t.UTC().Format(nameLayout) + ".db" }

// Result is one backup made.
type Result struct {
	File    string // the backup's path
	Size    int64  // bytes
	Took    time.Duration
	Epoch   string // the copy's seqepoch
	MaxSeq  int64  // its outbox's highest seq
	Removed []string
}

// Backup copies st into dir as switchboard-YYYYMMDDTHHMMSSZ.db (now, UTC):
// VACUUM INTO a .tmp file of mode 0600 (the ledger holds guest data),
// fsync, PRAGMA integrity_check on the copy, rename (atomic) and fsync of the
// folder. Only then are the oldest backups beyond keep deleted (keep < 1
// deletes none). On error no file named like a good backup is left.
func Backup(ctx context.Context, st *store.Store, dir string, keep int, now time.Time) (Result, error) {
	start := time.Now()
	if dir == "" {
		return Result{}, errors.New("backup: no folder")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Result{}, fmt.Errorf("backup: create %s: %w", dir, err)
	}
	final := filepath.Join(dir, FileName(now))
	if _, err := os.Lstat(final); err == nil {
		return Result{}, fmt.Errorf("backup: %s exists already (one backup a second)", final)
	}
	tmp := final + ".tmp"
	res, err := snapshot(ctx, st, tmp)
	if err != nil {
		os.Remove(tmp)
		return Result{}, err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return Result{}, fmt.Errorf("backup: rename %s: %w", tmp, err)
	}
	if err := syncDir(dir); err != nil {
		return Result{}, fmt.Errorf("backup: %w", err)
	}
	res.File = final
	res.Took = time.Since(start)
	res.Removed, err = Prune(dir, keep)
	if err != nil {
		return res, err
	}
	return res, nil
}

// snapshot writes and verifies the copy at tmp.
func snapshot(ctx context.Context, st *store.Store, tmp string) (Result, error) {
	// VACUUM INTO accepts an empty file: creating it first sets its mode.
	os.Remove(tmp) // a leftover of an interrupted run
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Result{}, fmt.Errorf("backup: create %s: %w", tmp, err)
	}
	f.Close()
	if err := st.SnapshotTo(ctx, tmp); err != nil {
		return Result{}, fmt.Errorf("backup: %w", err)
	}
	size, err := syncFile(tmp)
	if err != nil {
		return Result{}, fmt.Errorf("backup: %w", err)
	}
	fi, err := store.Inspect(ctx, tmp)
	if err != nil {
		return Result{}, fmt.Errorf("backup: the copy does not verify: %w", err)
	}
	return Result{Size: size, Epoch: fi.Epoch, MaxSeq: fi.MaxSeq}, nil
}

// Prune deletes the oldest backups in dir beyond keep (keep < 1: none) and
// returns their paths. Only names this package gives are considered.
func Prune(dir string, keep int) ([]string, error) {
	if keep < 1 {
		return nil, nil
	}
	all, err := List(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	for len(all) > keep {
		p := filepath.Join(dir, all[0].Name)
		if err := os.Remove(p); err != nil {
			return removed, fmt.Errorf("backup: remove old %s: %w", p, err)
		}
		removed = append(removed, p)
		all = all[1:]
	}
	return removed, nil
}

// File is a backup found in a folder.
type File struct {
	Name string
	Time time.Time // from the name
}

// List returns the backups in dir, oldest first; a missing folder has none.
func List(dir string) ([]File, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backup: read %s: %w", dir, err)
	}
	var out []File
	for _, e := range ents {
		m := namePattern.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		t, err := time.Parse(nameLayout, m[1])
		if err != nil {
			continue
		}
		out = append(out, File{Name: e.Name(), Time: t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// syncFile fsyncs the file at p and returns its size.
func syncFile(p string) (int64, error) {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("fsync %s: %w", p, err)
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), f.Close()
}

// syncDir fsyncs a folder so a rename in it is on disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}
