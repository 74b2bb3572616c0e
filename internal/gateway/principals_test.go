package gateway

import (
	"fmt"

	"switchboard/internal/config"
	"switchboard/internal/passwd"
)

// The test back office's principal on the gateways' embedded brokers:
// anonymous loopback clients only read, so the tests' back office logs in.
const testBOUser, testBOPass = "bo", "bo-password"

// testBroker is an embedded broker on port with the test back office as
// a backoffice user.
func testBroker(port int) *config.EmbeddedBroker {
	hash, err := passwd.HashWith(testBOPass, passwd.Params{MemoryKiB: 64, Passes: 1, Threads: 1})
	if err != nil {
		panic(fmt.Sprintf("hash the test password: %v", err))
	}
	return &config.EmbeddedBroker{Listen: fmt.Sprintf("127.0.0.1:%d", port),
		Users: []config.BrokerUser{{Username: testBOUser, PasswordHash: hash, Role: config.RoleBackoffice}}}
}
