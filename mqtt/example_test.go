package mqtt_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"

	"github.com/egate/egate/mqtt"
)

// The control room signs a command for one lane and publishes the envelope
// on <topic_root>/<site>/<lane>/cmd/<cmd> with QoS 1, not retained. The
// lane's configuration lists the public key under mqtt.commands.keys.
func ExampleSignCommand() {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize)) // keep yours in an HSM or a 0600 file
	fmt.Println("public_key:", base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)))

	env, err := mqtt.SignCommand(priv, "control-room-1", mqtt.CommandBody{
		Cmd:   "lock",
		Site:  "airport-1",
		Lane:  "lane-01",
		Nonce: "5f0c8e1d2a7b4c93a1e2", // mqtt.NewNonce() in real use
		IAT:   1795000000,             // time.Now().Unix()
		Exp:   1795000060,             // at most max_validity (5m) later
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("topic: egate/v1/airport-1/lane-01/cmd/lock")
	fmt.Println(string(env))
	// Output:
	// public_key: iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=
	// topic: egate/v1/airport-1/lane-01/cmd/lock
	// {"v":1,"key":"control-room-1","body":"eyJ2IjoxLCJjbWQiOiJsb2NrIiwic2l0ZSI6ImFpcnBvcnQtMSIsImxhbmUiOiJsYW5lLTAxIiwibm9uY2UiOiI1ZjBjOGUxZDJhN2I0YzkzYTFlMiIsImlhdCI6MTc5NTAwMDAwMCwiZXhwIjoxNzk1MDAwMDYwfQ==","sig":"7i8fQ3KfvHodC6WZQQ5Udpv6BHHoLQphhvxGCQOxLuqOyjrGjXYETXS01AkLDhhWgj5VgaGP8Njo5pdGWsUlDA=="}
}
