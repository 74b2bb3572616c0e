package console

// roomStayMessages are the strings of the rooms' stay path and live grid
// (rooms_stay.go, rooms_live.go). The room.p.* are problems shown on the
// card, formatted with the room (and the stay's start).
var roomStayMessages = map[string]map[string]string{
	langEN: {
		"rooms.nolink.stays": "No hotel link: DND, lamp and class of service cannot be sent from the console; check-in and check-out are recorded at the gateway (folio.checkin/folio.checkout, the back office's stay path).",
		"room.move":          "Move the guest",
		"room.move.from":     "From room",
		"room.move.to":       "To room",
		"room.confirmmove":   "Confirm the room move",
		"room.move.what":     "The stay, its wake-ups, DND, lamp and class of service move to the new room; the old room is left vacant.",
		"room.move.confirm":  "Confirm move",
		"room.p.occupied":    "Room %s is occupied (checked in %s): check that guest out first, or choose another room.",
		"room.p.vacant":      "Room %s is vacant: there is no stay to check out or move.",
		"room.p.noroute":     "This console knows neither a hotel link nor the gateway's id: check-in and check-out cannot be sent (see the console's options).",
		"room.p.nolink":      "No hotel link is configured: DND, lamp and class of service go only to a PBX over its hotel link.",
		"room.p.nomove":      "A move needs the hotel link or the gateway's id (site.gateway): neither is configured.",
		"room.p.to":          "To room %q: want a guest room of the configuration.",
		"room.p.same":        "To room: the guest is in that room already.",
	},
	langZH: {
		"rooms.nolink.stays": "未設定酒店介面：無法從前台設定請勿打擾、留言燈或話務等級；入住與退房記錄在閘道（folio.checkin/folio.checkout，與後台相同的住宿路徑）。",
		"room.move":          "換房",
		"room.move.from":     "原房間",
		"room.move.to":       "新房間",
		"room.confirmmove":   "確認換房",
		"room.move.what":     "住宿、叫醒、請勿打擾、留言燈及話務等級一併轉到新房間；原房間成為空房。",
		"room.move.confirm":  "確認換房",
		"room.p.occupied":    "房間 %s 已有住客（入住於 %s）：請先為該住客退房，或選擇其他房間。",
		"room.p.vacant":      "房間 %s 是空房：沒有可退房或換房的住宿。",
		"room.p.noroute":     "此前台既不知道酒店介面，也不知道閘道代號：無法送出入住或退房（請檢查前台設定）。",
		"room.p.nolink":      "未設定酒店介面：請勿打擾、留言燈及話務等級只能經酒店介面送到交換機。",
		"room.p.nomove":      "換房需要酒店介面或閘道編號（site.gateway）：兩者皆未設定。",
		"room.p.to":          "新房間 %q：須為設定中的客房。",
		"room.p.same":        "新房間：住客已在該房間。",
	},
}
