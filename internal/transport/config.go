package transport

import (
	"fmt"
	"log/slog"

	"switchboard/internal/config"
)

// FromConfig builds the byte stream a config device names (device: its
// id, for errors); log gets the transport's own reports (connections a
// listener refused).
func FromConfig(device string, t config.Transport, log *slog.Logger) (Transport, error) {
	switch {
	case t.Serial != nil:
		return NewSerial(SerialOptions{Port: t.Serial.Port, Baud: t.Serial.Baud, DataBits: t.Serial.DataBits,
			Parity: t.Serial.Parity, StopBits: t.Serial.StopBits, Flow: t.Serial.Flow})
	case t.TCP != nil && t.TCP.Connect != "":
		return NewTCPClient(TCPClientOptions{Address: t.TCP.Connect, Login: t.TCP.Login})
	case t.TCP != nil && t.TCP.Listen != "":
		return NewTCPListener(TCPListenOptions{Address: t.TCP.Listen, Allow: t.TCP.Allow, Log: log})
	case t.File != nil:
		return NewFile(FileOptions{Path: t.File.Path, Follow: t.File.Follow})
	}
	return nil, fmt.Errorf("device %s: no transport", device)
}
