package console

// wakeupBoardMessages are the wake-up board's strings (wakeups_live.go).
var wakeupBoardMessages = map[string]map[string]string{
	langEN: {
		"wakeups.board":            "Wake-up board",
		"wakeups.preflight":        "Before the first wake-up:",
		"wakeups.link":             "hotel link",
		"wakeups.linkunknown":      "state not known yet",
		"wakeups.due":              "wake-up(s) to ring, the next at",
		"wakeups.alarms":           "wake-up(s) need a person now: call the room or send housekeeping, then acknowledge.",
		"wakeups.alarm.unanswered": "UNANSWERED",
		"wakeups.alarm.escalated":  "UNANSWERED, housekeeping told",
		"wakeups.alarm.failed":     "NOT SET AT THE PBX",
		"wakeups.alarm.at-risk":    "AT RISK",
		"wakeups.ack":              "Acknowledge",
		"wakeups.ackedby":          "acknowledged by",
		"wakeups.chime":            "Sound on",
	},
	langZH: {
		"wakeups.board":            "叫醒看板",
		"wakeups.preflight":        "首個叫醒前檢查：",
		"wakeups.link":             "酒店介面",
		"wakeups.linkunknown":      "狀態未知",
		"wakeups.due":              "個叫醒待撥，下一個於",
		"wakeups.alarms":           "個叫醒須立即處理：致電房間或通知房務部，然後確認。",
		"wakeups.alarm.unanswered": "無人接聽",
		"wakeups.alarm.escalated":  "無人接聽，已通知房務部",
		"wakeups.alarm.failed":     "交換機未設定",
		"wakeups.alarm.at-risk":    "有風險",
		"wakeups.ack":              "確認",
		"wakeups.ackedby":          "確認人",
		"wakeups.chime":            "開啟提示音",
	},
}
