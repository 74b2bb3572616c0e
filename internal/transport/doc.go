// Package transport turns a device's configured connection (a serial port,
// a TCP connection the gateway dials, a TCP connection the PBX dials in, or a
// capture file) into the io.ReadWriteCloser a driver reads and writes, and
// keeps that stream alive: Link reopens it with capped, jittered backoff when
// the device goes away (a USB-serial adapter pulled out, a PBX reboot) and
// reports every state change. It knows nothing of MQTT, storage or any
// device's protocol; drivers own the protocol, this package owns the bytes.
//
// Everything the kernel or go.bug.st/serial cannot do for us (XON/XOFF,
// holding writes on CTS, noticing a vanished device) is done in software
// here; README.md in this folder lists exactly what and why.
package transport
