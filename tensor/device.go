package tensor

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
)

// Device is where a tensor's elements live and where the operations on it
// run. CPU is always available; CUDA is registered as "cuda:0" on every
// machine and loads its driver on first use: its Available method says why
// it cannot be used (which library, which driver error).
//
// The default device for new tensors is CPU unless the environment
// variable ATTNVIZ_DEVICE names another ("cpu", "cuda", "cuda:0"), or
// SetDefault is called.
type Device interface {
	// Name is the device's registry name, e.g. "cpu" or "cuda:0".
	Name() string
	// Available is nil when the device can be used, or an error saying
	// why not (which library is missing, which driver call failed).
	Available() error
}

// accelerator is implemented by non-CPU devices. Operations on tensors held
// by such a device are dispatched to it; an operation the device does not
// implement runs on the CPU through the host-access path and the result is
// moved back, so callers never need to know which device did the work.
type accelerator interface {
	Device
	// upload copies host data to a new device buffer.
	upload(data []float32) (deviceBuffer, error)
	// alloc returns a zeroed device buffer of n elements.
	alloc(n int) (deviceBuffer, error)
	// run executes op natively on the device. ok == false means "not
	// implemented here": the caller then runs the CPU implementation on
	// host copies and moves the result back.
	run(op opKind, in []*Tensor, p opParams) (out []*Tensor, ok bool, err error)
}

// deviceBuffer is storage on a non-CPU device.
type deviceBuffer interface {
	// Len is the number of float32 elements.
	Len() int
	// Download copies the whole buffer to dst (len(dst) == Len()).
	Download(dst []float32) error
}

type cpuDevice struct{}

func (cpuDevice) Name() string     { return "cpu" }
func (cpuDevice) Available() error { return nil }
func (cpuDevice) String() string   { return "cpu" }

// CPU is the host device. It is always available.
var CPU Device = cpuDevice{}

var registry = struct {
	sync.Mutex
	devs       map[string]Device
	def        Device
	defChecked bool
}{devs: map[string]Device{"cpu": CPU}}

// Register adds a device to the registry under its Name. Device packages
// call it from init; registering a name twice replaces the earlier entry.
func Register(d Device) {
	registry.Lock()
	defer registry.Unlock()
	registry.devs[d.Name()] = d
}

// Devices lists the registered devices, sorted by name, CPU first.
func Devices() []Device {
	registry.Lock()
	defer registry.Unlock()
	out := []Device{CPU}
	for _, n := range slices.Sorted(maps.Keys(registry.devs)) {
		if n != "cpu" {
			out = append(out, registry.devs[n])
		}
	}
	return out
}

// Lookup returns the registered device with the given name. "cuda" is
// short for "cuda:0". It returns an ErrDevice error naming the devices that
// exist when the name is unknown, and the device's own reason when it is
// registered but not available.
func Lookup(name string) (Device, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		name = "cpu"
	}
	if name == "cuda" || name == "gpu" {
		name = "cuda:0"
	}
	registry.Lock()
	d, ok := registry.devs[name]
	names := slices.Sorted(maps.Keys(registry.devs))
	registry.Unlock()
	if !ok {
		hint := ""
		if strings.HasPrefix(name, "cuda") {
			hint = " (CUDA needs an NVIDIA driver: libcuda.so.1 could not be used on this machine)"
		}
		return nil, Errorf(ErrDevice, "tensor: no device %q%s; devices here: %s", name, hint, strings.Join(names, ", "))
	}
	if err := d.Available(); err != nil {
		return nil, Errorf(ErrDevice, "tensor: device %s is not available: %w", name, err)
	}
	return d, nil
}

// Default returns the device new tensors are created on: the one set by
// SetDefault, else the one named by ATTNVIZ_DEVICE, else CPU. When the
// variable names a device that is not available, Default falls back to CPU
// and DefaultErr reports why.
func Default() Device {
	registry.Lock()
	if registry.def != nil {
		d := registry.def
		registry.Unlock()
		return d
	}
	registry.Unlock()
	d, _ := defaultFromEnv()
	return d
}

// DefaultErr reports why ATTNVIZ_DEVICE could not be honoured, or nil.
func DefaultErr() error {
	_, err := defaultFromEnv()
	return err
}

func defaultFromEnv() (Device, error) {
	name := os.Getenv("ATTNVIZ_DEVICE")
	if name == "" {
		return CPU, nil
	}
	d, err := Lookup(name)
	if err != nil {
		return CPU, fmt.Errorf("ATTNVIZ_DEVICE=%s: %w; using cpu", name, err)
	}
	return d, nil
}

// SetDefault makes d the device for new tensors. SetDefault(nil) returns
// to the environment's choice.
func SetDefault(d Device) {
	registry.Lock()
	registry.def = d
	registry.Unlock()
}

// sameDevice returns the device shared by all inputs, or an ErrDevice error
// that says how to move them.
func sameDevice(op string, in []*Tensor) (Device, error) {
	d := in[0].Device()
	for _, t := range in[1:] {
		if t.Device() != d {
			return nil, Errorf(ErrDevice, "%s: tensors are on different devices (%s and %s); move one with t.To(%s) or t.ToName(%q)",
				op, d.Name(), t.Device().Name(), d.Name(), d.Name())
		}
	}
	return d, nil
}

// apply runs an operation with the house rules: the first input error is
// passed on (prefixed by nothing, so the original message survives), the
// inputs must share a device, an accelerator runs the op natively when it
// can, and otherwise cpu runs on host copies and the results go back to the
// inputs' device. cpu returns its results (or a tensor carrying an error).
func apply(op opKind, in []*Tensor, p opParams, cpu func(in []*Tensor) []*Tensor) []*Tensor {
	for _, t := range in {
		if err := t.Err(); err != nil {
			return []*Tensor{Failed(err)}
		}
	}
	d, err := sameDevice(op.String(), in)
	if err != nil {
		return []*Tensor{Failed(err)}
	}
	if d == CPU {
		return cpu(in)
	}
	acc, isAcc := d.(accelerator)
	if isAcc {
		out, ok, err := acc.run(op, in, p)
		if ok {
			if err != nil {
				return []*Tensor{Failed(Errorf(ErrDevice, "%s on %s: %w", op, d.Name(), err))}
			}
			return out
		}
	}
	hin := make([]*Tensor, len(in))
	for i, t := range in {
		h, err := t.host()
		if err != nil {
			return []*Tensor{Failed(err)}
		}
		hin[i] = h
	}
	out := cpu(hin)
	for i, t := range out {
		if t != nil && t.err == nil {
			out[i] = t.To(d)
		}
	}
	return out
}

// apply1 is apply for an operation with one result.
func apply1(op opKind, in []*Tensor, p opParams, cpu func(in []*Tensor) *Tensor) *Tensor {
	return apply(op, in, p, func(in []*Tensor) []*Tensor { return []*Tensor{cpu(in)} })[0]
}

// copyInto copies src into dst, both contiguous with the same number of
// elements and on the same device: on the CPU directly, on a device that
// can copy (copyInto method) there, else through the host.
func copyInto(dst, src *Tensor) error {
	if dst.Len() != src.Len() || !dst.IsContiguous() {
		return Errorf(ErrShape, "tensor: internal copy of %v into %v", src.shape, dst.shape)
	}
	if dst.Device() == CPU && src.Device() == CPU {
		copy(dst.data[dst.offset:dst.offset+dst.Len()], hostSlice(src))
		return nil
	}
	if c, ok := dst.Device().(interface{ copyInto(dst, src *Tensor) error }); ok && src.Device() == dst.Device() && src.IsContiguous() {
		return c.copyInto(dst, src)
	}
	return Errorf(ErrDevice, "tensor: cannot copy from %s into a tensor on %s", src.Device().Name(), dst.Device().Name())
}
