package engine

import (
	"crypto/rand"
	"encoding/hex"
	"math/big"
)

// newID returns a random 64-hex container ID.
func newID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error()) // the kernel's CSPRNG does not fail
	}
	return hex.EncodeToString(b)
}

var (
	adjectives = []string{"agile", "bold", "brave", "bright", "calm", "clever", "cosy", "crisp", "eager", "fond",
		"gentle", "happy", "jolly", "keen", "kind", "lively", "lucid", "merry", "nimble", "proud",
		"quick", "quiet", "sharp", "shy", "snug", "steady", "sunny", "swift", "tidy", "witty"}
	nouns = []string{"badger", "beaver", "bunny", "cony", "doe", "ermine", "ferret", "fox", "hare", "hedgehog",
		"jackrabbit", "kit", "lapin", "leveret", "lynx", "marmot", "mink", "mole", "otter", "pika",
		"rabbit", "squirrel", "stoat", "vole", "warren", "weasel", "wolverine", "wombat", "yak", "zorilla"}
)

func pick(words []string) string {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(words))))
	if err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return words[n.Int64()]
}

// randomName returns a name like "swift_badger", as Podman and Docker do.
func randomName() string { return pick(adjectives) + "_" + pick(nouns) }
