package tensor

import (
	"fmt"
	"slices"

	"github.com/attnviz/attnviz/tensor/internal/cpu"
)

// Stack joins tensors of one shape along a new first dimension (torch.stack
// with dim 0): n tensors of shape s give one of shape [n, s...], copied
// once. The result is on the first tensor's device.
func Stack(ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		return Failed(Errorf(ErrValue, "Stack: no tensors to stack; give at least one"))
	}
	for i, t := range ts {
		if err := t.Err(); err != nil {
			return Failed(err)
		}
		if !slices.Equal(t.shape, ts[0].shape) {
			return Failed(shapeErr("Stack", fmt.Sprintf("tensor %d has another shape than tensor 0", i), "every tensor must have the same shape", ts[0].shape, t.shape))
		}
	}
	shape := append([]int{len(ts)}, ts[0].shape...)
	if err := checkShape("Stack", shape); err != nil {
		return Failed(err)
	}
	dev := ts[0].Device()
	n := numel(ts[0].shape)
	out := make([]float32, len(ts)*n)
	errs := make([]error, len(ts))
	cpu.ParallelFor(len(ts), func(_ *cpu.Work, i int) {
		h, err := ts[i].host()
		if err != nil {
			errs[i] = err
			return
		}
		if h.IsContiguous() {
			copy(out[i*n:(i+1)*n], h.data[h.offset:h.offset+n])
		} else {
			h.gather(out[i*n : (i+1)*n])
		}
	})
	for _, err := range errs {
		if err != nil {
			return Failed(err)
		}
	}
	return newHost(out, shape).To(dev)
}
