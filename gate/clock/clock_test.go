package clock

import (
	"testing"
	"time"
)

func TestScaledAdvancesFaster(t *testing.T) {
	c := NewScaled(50)
	t0 := c.Now()
	for i := 0; i < 20; i++ {
		time.Sleep(time.Millisecond)
		c.Now()
	}
	if got := c.Now().Sub(t0); got < 900*time.Millisecond {
		t.Fatalf("50x clock advanced %v in >= 20ms of real time, want >= 0.9s", got)
	}
}

func TestScaledCompressesStalls(t *testing.T) {
	c := NewScaled(10)
	t0 := c.Now()
	time.Sleep(200 * time.Millisecond) // nobody reads the clock: a stall
	got := c.Now().Sub(t0)
	if max := time.Duration(float64(MaxStep)*10) + 50*time.Millisecond; got > max {
		t.Fatalf("a 200ms stall advanced the 10x clock by %v, want at most %v", got, max)
	}
	if got <= 0 {
		t.Fatal("clock did not advance")
	}
}
