package store

import (
	"context"
	"fmt"
	"testing"
)

func TestKVLast(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		if err := s.Put(ctx, "audit", fmt.Sprintf("%03d", i), []byte{byte('0' + i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, "other", "999", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		n    int
		want string
	}{{3, "005=5 004=4 003=3"}, {10, "005=5 004=4 003=3 002=2 001=1"}, {0, ""}} {
		got, err := s.Last(ctx, "audit", tc.n)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for i, kv := range got {
			if i > 0 {
				s += " "
			}
			s += kv.Key + "=" + string(kv.Value)
		}
		if s != tc.want {
			t.Errorf("last %d: %q, want %q", tc.n, s, tc.want)
		}
	}
}
