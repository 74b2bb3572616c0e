package main

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/internal/config"
	"switchboard/internal/store"
)

// TestConvertStoreVacuum: a store made without incremental auto-vacuum is
// converted once at start, with a log line before and after; a store in
// that mode (any new one) is left alone.
func TestConvertStoreVacuum(t *testing.T) {
	for _, tc := range []struct {
		name   string
		legacy bool
		logs   []string
	}{
		{name: "new store", logs: nil},
		{name: "older store", legacy: true, logs: []string{"converting the store to incremental auto-vacuum", "store converted to incremental auto-vacuum"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "sb.db")
			if tc.legacy {
				db, err := sql.Open("sqlite", "file:"+path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(`PRAGMA auto_vacuum=NONE; CREATE TABLE before_upgrade(x)`); err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
			var out bytes.Buffer
			cfg := &config.Config{Store: config.Store{Path: path}}
			if err := convertStoreVacuum(ctx, cfg, slog.New(slog.NewTextHandler(&out, nil))); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.logs {
				if !strings.Contains(out.String(), want) {
					t.Errorf("log:\n%s\nwant a line %q", out.String(), want)
				}
			}
			if tc.logs == nil && out.Len() > 0 {
				t.Errorf("log:\n%s\nwant nothing", out.String())
			}
			st, err := store.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if on, err := st.IncrementalVacuum(ctx); err != nil || !on {
				t.Errorf("incremental vacuum %v (%v) after the start, want on", on, err)
			}
		})
	}
}
