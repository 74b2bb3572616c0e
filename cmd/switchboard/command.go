package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"

	"switchboard/internal/bus"
	"switchboard/internal/config"
	"switchboard/internal/events"
)

// sendCommand publishes one command to the running gateway and waits for
// its outcome: the CLI's commands are MQTT clients of the daemon, exactly
// like the back office.
func sendCommand(cfg *config.Config, domain, device, name string, data any, timeout time.Duration, stdout, stderr io.Writer) int {
	topics := events.Topics{Group: cfg.Site.Group, Property: cfg.Site.Property, Gateway: cfg.Site.Gateway}
	host, _ := os.Hostname()
	client := fmt.Sprintf("cli-%s-%d", host, os.Getpid())
	cl, err := brokerClient(cfg, "cli")
	if err != nil {
		fmt.Fprintf(stderr, "switchboard: %v\n", err)
		return 2
	}
	payload, err := json.Marshal(data)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard: %v\n", err)
		return 2
	}
	id := uuid.NewString()
	now := time.Now().In(cfg.Site.Location())
	env := events.Envelope{SpecVersion: events.SpecVersion, ID: id, Source: "/cli/" + host, Type: "hotel." + domain + ".cmd." + name,
		Time: now, DataContentType: "application/json", DataSchema: events.SchemaURI("hotel." + domain + ".cmd." + name),
		ReplyTo: client, Data: payload}
	msg, _ := json.Marshal(env)
	outcome := make(chan bus.Reply, 4)
	cl.Start()
	defer cl.Disconnect(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := cl.WaitConnected(ctx); err != nil {
		fmt.Fprintf(stderr, "switchboard: no broker answers at %v: is `switchboard run` running?\n", brokerURLs(cfg))
		return 1
	}
	// Subscribed once connected, so Subscribe waits for the broker's
	// SUBACK (MQTT 5 §3.9): the reply cannot come before the subscription.
	cl.Subscribe(topics.Reply(domain, device, client), func(m bus.Message) {
		var e events.Envelope
		var r bus.Reply
		if json.Unmarshal(m.Payload, &e) == nil && json.Unmarshal(e.Data, &r) == nil && r.CommandID == id {
			outcome <- r
		}
	})
	if err := cl.Publish(ctx, topics.Command(domain, device, name), 1, false, msg); err != nil {
		fmt.Fprintf(stderr, "switchboard: command not sent: %v\n", err)
		return 1
	}
	for {
		select {
		case r := <-outcome:
			switch r.Status {
			case "accepted":
				fmt.Fprintf(stderr, "%s %s: accepted\n", name, device)
				continue
			case "completed":
				res, _ := json.Marshal(r.Result)
				fmt.Fprintf(stdout, "%s %s: completed %s\n", name, device, res)
				return 0
			default:
				fmt.Fprintf(stderr, "%s %s: failed: %s\n", name, device, r.Reason)
				return 1
			}
		case <-ctx.Done():
			fmt.Fprintf(stderr, "%s %s: no outcome within %s (the command id is %s; it may still complete)\n", name, device, timeout, id)
			return 1
		}
	}
}
