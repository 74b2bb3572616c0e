package faxmodem

import "time"

// T.30 timers (T.30 §5.4.3.1, "Timers").
const (
	T1 = 35 * time.Second // T.30 §5.4.3.1: T1 35 ± 5 s, to identify the far end
	T2 = 6 * time.Second  // T.30 §5.4.3.1: T2 6 ± 1 s, waiting for a command
	T3 = 10 * time.Second // T.30 §5.4.3.1: T3 10 ± 5 s, operator alert
	T4 = 3 * time.Second  // T.30 §5.4.3.1: T4 3 s ± 15 %, waiting for a response
	T5 = 60 * time.Second // T.30 §5.4.3.1: T5 60 ± 5 s, ECM receiver not ready
)
