package main

import (
	"os"
	"strings"
	"testing"
)

// TestRateGolden rates raw SMDR (through the profile, as `smdr parse`) and
// CallRecord JSON lines (as `smdr parse` prints them) with the embedded
// tariff and plan, Shanghai numbering.
func TestRateGolden(t *testing.T) {
	site := []string{"--tz", "Asia/Shanghai", "--home-area", "21", "--trunk-access", "9"}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"smdr", append(append([]string{"rate", "--profile", "avaya-ipoffice"}, site...), "testdata/rate/avaya.txt")},
		{"records", append(append([]string{"rate"}, site...), "testdata/rate/records.jsonl")},
		{"bad-tariff", []string{"rate", "--tariff", "testdata/rate/missing.yaml", "testdata/rate/records.jsonl"}},
		{"bad-tz", []string{"rate", "--tz", "Mars/Base", "testdata/rate/records.jsonl"}},
	} {
		// The tariff loader names files from the root (os.DirFS("/")).
		wd, _ := os.Getwd()
		t.Run(c.name, func(t *testing.T) { golden(t, "rate", c.name, c.args, strings.TrimPrefix(wd, "/"), "$PWD") })
	}
}
