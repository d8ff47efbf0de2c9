package stack

import "sync"

// sendHold makes a fake's sends wait, to stop seedgate mid-send: arrived gets one value per
// send that reached the fake and waits; release lets them all go on.
type sendHold struct {
	mu      sync.Mutex
	gate    chan struct{}
	arrived chan struct{}
}

// Hold makes the following sends wait until release is called.
func (h *sendHold) Hold() (arrived <-chan struct{}, release func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	gate, ch := make(chan struct{}), make(chan struct{}, 64)
	h.gate, h.arrived = gate, ch
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			h.gate, h.arrived = nil, nil
			h.mu.Unlock()
			close(gate)
		})
	}
}

// wait blocks a send while a hold is on.
func (h *sendHold) wait() {
	h.mu.Lock()
	gate, arrived := h.gate, h.arrived
	h.mu.Unlock()
	if gate == nil {
		return
	}
	arrived <- struct{}{}
	<-gate
}
