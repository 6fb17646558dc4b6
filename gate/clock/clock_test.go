package clock

import (
	"testing"
	"time"
)

func TestScaledAdvancesFaster(t *testing.T) {
	c := NewScaled(50)
	t0 := c.Now()
	time.Sleep(20 * time.Millisecond)
	if got := c.Now().Sub(t0); got < 900*time.Millisecond {
		t.Fatalf("50x clock advanced %v in 20ms of real time, want >= 0.9s", got)
	}
	start := time.Now()
	c.Sleep(time.Second)
	if real := time.Since(start); real > 500*time.Millisecond {
		t.Fatalf("1s sleep on a 50x clock took %v of real time", real)
	}
}
