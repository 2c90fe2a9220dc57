package cuda

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Options say which libraries to load.
type Options struct {
	// Lib is the driver library; "" means $ATTNVIZ_LIBCUDA, else libcuda.so.1.
	Lib string
	// Blas is the cuBLAS library; "" means $ATTNVIZ_LIBCUBLAS, else the
	// first of libcublas.so.13, .12, .11, libcublas.so that loads; "off"
	// disables cuBLAS (the package's own matmul kernel is used).
	Blas string
	// Ordinal is the GPU number (0 for the first).
	Ordinal int
}

// Ptr is a device address (CUdeviceptr).
type Ptr uint64

// Device is one GPU with its primary context, the loaded kernels and a
// worker goroutine locked to an OS thread that makes every driver call.
type Device struct {
	drv      *lib
	blasLib  *lib
	blas     uintptr // cublasHandle_t
	blasErr  error   // why cuBLAS is not used
	ordinal  int
	gpuName  string
	ccMajor  int
	ccMinor  int
	totalMem uint64
	version  int

	ctx   uintptr
	mod   uintptr
	funcs map[string]uintptr

	work chan func()

	freeMu  sync.Mutex
	pending []freed // buffers whose Go value was collected

	// cache of freed device memory by exact size, reused by later
	// allocations (stream order makes that safe: every launch and copy
	// goes to the one default stream). Worker only.
	cache      map[uint64][]Ptr
	cacheBytes uint64
	sinceGC    uint64 // bytes newly allocated since the last collect

	live     atomic.Int64 // bytes allocated and not yet freed
	released atomic.Int64 // buffers given back by Release
	allocs   int64        // number of cuMemAlloc calls (worker only)
	gcAsked  int64        // out-of-memory retries (worker only)
}

const (
	cuSuccess     = 0
	cuOutOfMemory = 2
)

var driverSyms = []string{
	"cuInit", "cuDriverGetVersion", "cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetName",
	"cuDeviceGetAttribute", "cuDeviceTotalMem_v2", "cuDevicePrimaryCtxRetain", "cuCtxSetCurrent",
	"cuModuleLoadDataEx", "cuModuleGetFunction", "cuMemAlloc_v2", "cuMemFree_v2",
	"cuMemcpyHtoD_v2", "cuMemcpyDtoH_v2", "cuMemcpyDtoD_v2", "cuMemsetD32_v2",
	"cuLaunchKernel", "cuCtxSynchronize", "cuGetErrorString", "cuGetErrorName",
}

// Error is a failed driver or cuBLAS call.
type Error struct {
	Call string // e.g. "cuMemAlloc_v2"
	Code int    // CUresult or cublasStatus_t
	Name string // e.g. "CUDA_ERROR_OUT_OF_MEMORY"
	Msg  string // the driver's description
	Log  string // JIT error log, for cuModuleLoadDataEx
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s failed: %s (%d)", e.Call, e.Name, e.Code)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Log != "" {
		s += "\nJIT log:\n" + e.Log
	}
	return s
}

// cstring copies a NUL-terminated C string owned by the library.
func cstring(p uintptr) string {
	if p == 0 {
		return ""
	}
	ptr := *(*unsafe.Pointer)(unsafe.Pointer(&p))
	var b []byte
	for i := 0; i < 4096; i++ {
		c := *(*byte)(unsafe.Add(ptr, i))
		if c == 0 {
			break
		}
		b = append(b, c)
	}
	return string(b)
}

// check turns a CUresult into an error (nil on success).
func (d *Device) check(call string, r int) error {
	if r == cuSuccess {
		return nil
	}
	e := &Error{Call: call, Code: r}
	var name, msg uintptr
	var pin runtime.Pinner
	pin.Pin(&name)
	pin.Pin(&msg)
	if d.drv.call("cuGetErrorName", uintptr(r), uintptr(unsafe.Pointer(&name))) == cuSuccess {
		e.Name = cstring(name)
	}
	if d.drv.call("cuGetErrorString", uintptr(r), uintptr(unsafe.Pointer(&msg))) == cuSuccess {
		e.Msg = cstring(msg)
	}
	pin.Unpin()
	if e.Name == "" {
		e.Name = "CUDA error"
	}
	return e
}

// Open loads the driver, creates (retains) the primary context of GPU
// o.Ordinal, loads the kernels and, when it can, cuBLAS. The error says
// which library or which call failed.
func Open(o Options) (*Device, error) {
	path := o.Lib
	if path == "" {
		path = os.Getenv("ATTNVIZ_LIBCUDA")
	}
	if path == "" {
		path = "libcuda.so.1"
	}
	if !haveLoader {
		_, err := openLib(path, nil, nil)
		return nil, err
	}
	d := &Device{ordinal: o.Ordinal, funcs: map[string]uintptr{}, work: make(chan func())}
	ready := make(chan error)
	go d.serve(path, o, ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return d, nil
}

// serve is the worker: it locks itself to an OS thread, sets the context
// current there and runs the requests sent on d.work for ever.
func (d *Device) serve(path string, o Options, ready chan<- error) {
	runtime.LockOSThread()
	if err := d.init(path, o); err != nil {
		ready <- err
		runtime.UnlockOSThread()
		return
	}
	ready <- nil
	for f := range d.work {
		d.drainFrees()
		f()
	}
}

func (d *Device) init(path string, o Options) error {
	drv, err := openLib(path, driverSyms, nil)
	if err != nil {
		return fmt.Errorf("%w (is the NVIDIA driver installed? set ATTNVIZ_LIBCUDA to the path of libcuda.so.1 if it is elsewhere)", err)
	}
	d.drv = drv
	var pin runtime.Pinner
	defer pin.Unpin()
	if err := d.check("cuInit", drv.call("cuInit", 0)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var ver, count, dev int32
	pin.Pin(&ver)
	pin.Pin(&count)
	pin.Pin(&dev)
	drv.call("cuDriverGetVersion", uintptr(unsafe.Pointer(&ver)))
	d.version = int(ver)
	if err := d.check("cuDeviceGetCount", drv.call("cuDeviceGetCount", uintptr(unsafe.Pointer(&count)))); err != nil {
		return err
	}
	if count == 0 {
		return fmt.Errorf("%s loaded but reports no CUDA GPU", path)
	}
	if o.Ordinal < 0 || o.Ordinal >= int(count) {
		return fmt.Errorf("no GPU %d: the driver reports %d GPU(s)", o.Ordinal, count)
	}
	if err := d.check("cuDeviceGet", drv.call("cuDeviceGet", uintptr(unsafe.Pointer(&dev)), uintptr(o.Ordinal))); err != nil {
		return err
	}
	name := make([]byte, 256)
	pin.Pin(&name[0])
	if drv.call("cuDeviceGetName", uintptr(unsafe.Pointer(&name[0])), 256, uintptr(dev)) == cuSuccess {
		if i := strings.IndexByte(string(name), 0); i >= 0 {
			name = name[:i]
		}
		d.gpuName = string(name)
	}
	var major, minor int32
	var total uint64
	pin.Pin(&major)
	pin.Pin(&minor)
	pin.Pin(&total)
	drv.call("cuDeviceGetAttribute", uintptr(unsafe.Pointer(&major)), 75, uintptr(dev)) // COMPUTE_CAPABILITY_MAJOR
	drv.call("cuDeviceGetAttribute", uintptr(unsafe.Pointer(&minor)), 76, uintptr(dev)) // COMPUTE_CAPABILITY_MINOR
	drv.call("cuDeviceTotalMem_v2", uintptr(unsafe.Pointer(&total)), uintptr(dev))
	d.ccMajor, d.ccMinor, d.totalMem = int(major), int(minor), total
	if d.ccMajor != 0 && d.ccMajor < 8 {
		return fmt.Errorf("GPU %d (%s) has compute capability %d.%d; the kernels need sm_80 (Ampere) or newer", o.Ordinal, d.gpuName, d.ccMajor, d.ccMinor)
	}
	var ctx uintptr
	pin.Pin(&ctx)
	if err := d.check("cuDevicePrimaryCtxRetain", drv.call("cuDevicePrimaryCtxRetain", uintptr(unsafe.Pointer(&ctx)), uintptr(dev))); err != nil {
		return err
	}
	d.ctx = ctx
	if err := d.check("cuCtxSetCurrent", drv.call("cuCtxSetCurrent", ctx)); err != nil {
		return err
	}
	if err := d.loadModule(); err != nil {
		return err
	}
	d.openBlas(o.Blas)
	return nil
}

// loadModule JIT-compiles the embedded PTX, with the JIT's error log in
// the error when it fails.
func (d *Device) loadModule() error {
	img := make([]byte, len(PTX)+1)
	copy(img, PTX)
	logBuf := make([]byte, 8192)
	opts := []uint32{5, 6} // CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
	vals := []uintptr{0, uintptr(len(logBuf))}
	var mod uintptr
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&img[0])
	pin.Pin(&logBuf[0])
	pin.Pin(&opts[0])
	pin.Pin(&vals[0])
	pin.Pin(&mod)
	vals[0] = uintptr(unsafe.Pointer(&logBuf[0]))
	r := d.drv.call("cuModuleLoadDataEx", uintptr(unsafe.Pointer(&mod)), uintptr(unsafe.Pointer(&img[0])),
		uintptr(len(opts)), uintptr(unsafe.Pointer(&opts[0])), uintptr(unsafe.Pointer(&vals[0])))
	if err := d.check("cuModuleLoadDataEx", r); err != nil {
		if i := strings.IndexByte(string(logBuf), 0); i >= 0 {
			logBuf = logBuf[:i]
		}
		err.(*Error).Log = strings.TrimSpace(string(logBuf))
		return err
	}
	d.mod = mod
	return nil
}

// do runs f on the worker thread and waits for it.
func (d *Device) do(f func()) {
	done := make(chan struct{})
	d.work <- func() { f(); close(done) }
	<-done
}

// String describes the GPU: name, compute capability, memory, driver and
// whether cuBLAS is used.
func (d *Device) String() string {
	s := fmt.Sprintf("%s (sm_%d%d, %.1f GiB, driver %d.%d", d.gpuName, d.ccMajor, d.ccMinor,
		float64(d.totalMem)/(1<<30), d.version/1000, d.version%1000/10)
	if d.blas != 0 {
		s += ", cuBLAS " + d.blasLib.path
	} else if d.blasErr != nil {
		s += ", own matmul kernel: " + d.blasErr.Error()
	}
	return s + ")"
}

// GPUName is the device name reported by the driver.
func (d *Device) GPUName() string { return d.gpuName }

// HasBlas reports whether matrix products can use cuBLAS, and why not.
func (d *Device) HasBlas() (bool, error) { return d.blas != 0, d.blasErr }

// --- memory ------------------------------------------------------------------

// Buffer is device memory holding n float32 values. It goes back to the
// device's cache of free memory when Release is called, or else when the
// Buffer becomes unreachable and the garbage collector finds it.
type Buffer struct {
	dev     *Device
	ptr     Ptr
	n       int
	cleanup runtime.Cleanup
	freed   atomic.Bool
}

// Release gives the buffer's memory back to the device's cache at once,
// for the next allocation of the same size, without waiting for a garbage
// collection (PyTorch's caching allocator does the same when a tensor's
// reference count drops to zero). Work already queued that reads the
// buffer is not disturbed: every launch and copy runs on one stream, in
// order. The buffer must not be used afterwards; releasing twice is a
// no-op.
func (b *Buffer) Release() {
	if b == nil || b.n == 0 || b.freed.Swap(true) {
		return
	}
	b.cleanup.Stop()
	size := int64(b.n) * 4
	b.dev.queueFree(b.ptr, uint64(size))
	b.dev.live.Add(-size)
	b.dev.released.Add(1)
}

// Len is the number of float32 elements.
func (b *Buffer) Len() int { return b.n }

// Ptr is the device address of element i.
func (b *Buffer) Ptr(i int) Ptr { return b.ptr + Ptr(4*i) }

type freed struct {
	p     Ptr
	bytes uint64
}

func (d *Device) queueFree(p Ptr, bytes uint64) {
	d.freeMu.Lock()
	d.pending = append(d.pending, freed{p, bytes})
	d.freeMu.Unlock()
}

// drainFrees moves the buffers the GC released to the cache, or frees
// them when the cache holds more than a quarter of the GPU's memory
// (worker only).
func (d *Device) drainFrees() int {
	d.freeMu.Lock()
	p := d.pending
	d.pending = nil
	d.freeMu.Unlock()
	synced := false
	for _, x := range p {
		if d.cacheBytes+x.bytes <= d.totalMem/4 {
			if d.cache == nil {
				d.cache = map[uint64][]Ptr{}
			}
			d.cache[x.bytes] = append(d.cache[x.bytes], x.p)
			d.cacheBytes += x.bytes
			continue
		}
		if !synced {
			d.drv.call("cuCtxSynchronize")
			synced = true
		}
		d.drv.call("cuMemFree_v2", uintptr(x.p))
	}
	return len(p)
}

// collect runs the garbage collector and waits briefly for the cleanups
// of unreachable buffers to queue them (worker only).
func (d *Device) collect() {
	d.gcAsked++
	d.sinceGC = 0
	runtime.GC()
	for w := 0; w < 200; w++ {
		if d.drainFrees() > 0 {
			// more may follow
			time.Sleep(100 * time.Microsecond)
			d.drainFrees()
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// trimCache frees every cached buffer (worker only).
func (d *Device) trimCache() {
	if d.cacheBytes == 0 {
		return
	}
	d.drv.call("cuCtxSynchronize")
	for _, ps := range d.cache {
		for _, p := range ps {
			d.drv.call("cuMemFree_v2", uintptr(p))
		}
	}
	d.cache = nil
	d.cacheBytes = 0
}

// Cached is the number of bytes of freed memory kept for reuse.
func (d *Device) Cached() int64 {
	var n int64
	d.do(func() { n = int64(d.cacheBytes) })
	return n
}

// Live is the number of bytes allocated and not yet freed.
func (d *Device) Live() int64 { return d.live.Load() }

// MemAllocs is the number of cuMemAlloc calls so far (allocations the
// cache could not serve).
func (d *Device) MemAllocs() int64 {
	var n int64
	d.do(func() { n = d.allocs })
	return n
}

// Released is the number of buffers given back with Release.
func (d *Device) Released() int64 { return d.released.Load() }

// alloc reserves n float32s (worker only). When the device is out of
// memory it runs the garbage collector so that unreachable buffers are
// freed, and tries again.
func (d *Device) alloc(n int) (*Buffer, error) {
	if n == 0 {
		return &Buffer{dev: d, n: 0}, nil
	}
	bytes := uint64(n) * 4
	var p Ptr
	var pin runtime.Pinner
	pin.Pin(&p)
	defer pin.Unpin()
	var err error
	// Go's collector does not see device memory: after every eighth of
	// the GPU's memory newly allocated, collect so that the tensors that
	// became unreachable give their buffers back to the cache.
	if len(d.cache[bytes]) == 0 && d.sinceGC+bytes > d.totalMem/8 {
		d.collect()
	}
	if c := d.cache[bytes]; len(c) > 0 {
		p = c[len(c)-1]
		d.cache[bytes] = c[:len(c)-1]
		d.cacheBytes -= bytes
	} else {
		d.sinceGC += bytes
		for try := 0; try < 4; try++ {
			r := d.drv.call("cuMemAlloc_v2", uintptr(unsafe.Pointer(&p)), uintptr(bytes))
			d.allocs++
			if r == cuSuccess {
				err = nil
				break
			}
			err = d.check("cuMemAlloc_v2", r)
			if r != cuOutOfMemory {
				return nil, err
			}
			// Unreachable tensors still hold device memory until
			// their cleanups run: give back the cache, collect, wait
			// for the cleanups, free, retry.
			d.trimCache()
			d.collect()
			d.trimCache()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("allocating %d MiB on %s: %w", bytes>>20, d.gpuName, err)
	}
	d.live.Add(int64(bytes))
	b := &Buffer{dev: d, ptr: p, n: n}
	size := int64(bytes)
	b.cleanup = runtime.AddCleanup(b, func(p Ptr) { d.queueFree(p, uint64(size)); d.live.Add(-size) }, p)
	return b, nil
}

// Alloc returns an uninitialised buffer of n float32s (zeroed if zero).
func (d *Device) Alloc(n int, zero bool) (*Buffer, error) {
	var b *Buffer
	var err error
	d.do(func() {
		b, err = d.alloc(n)
		if err == nil && zero && n > 0 {
			err = d.check("cuMemsetD32_v2", d.drv.call("cuMemsetD32_v2", uintptr(b.ptr), 0, uintptr(n)))
		}
	})
	return b, err
}

// Upload copies data to a new buffer.
func (d *Device) Upload(data []float32) (*Buffer, error) {
	var b *Buffer
	var err error
	d.do(func() {
		b, err = d.alloc(len(data))
		if err != nil || len(data) == 0 {
			return
		}
		var pin runtime.Pinner
		pin.Pin(&data[0])
		err = d.check("cuMemcpyHtoD_v2", d.drv.call("cuMemcpyHtoD_v2", uintptr(b.ptr), uintptr(unsafe.Pointer(&data[0])), uintptr(4*len(data))))
		pin.Unpin()
	})
	return b, err
}

// Download copies the buffer's first len(dst) elements to dst. It waits
// for the kernels that write the buffer (the copy is synchronous).
func (b *Buffer) Download(dst []float32) error { return b.DownloadAt(dst, 0) }

// DownloadAt copies elements off, off+1, ... of the buffer to dst.
func (b *Buffer) DownloadAt(dst []float32, off int) error {
	if off < 0 || off+len(dst) > b.n {
		return fmt.Errorf("cuda: Download of elements [%d, %d) from a buffer of %d", off, off+len(dst), b.n)
	}
	if len(dst) == 0 {
		return nil
	}
	d := b.dev
	var err error
	d.do(func() {
		var pin runtime.Pinner
		pin.Pin(&dst[0])
		err = d.check("cuMemcpyDtoH_v2", d.drv.call("cuMemcpyDtoH_v2", uintptr(unsafe.Pointer(&dst[0])), uintptr(b.Ptr(off)), uintptr(4*len(dst))))
		pin.Unpin()
	})
	runtime.KeepAlive(b)
	return err
}

// Copy copies n float32s from src to dst on the device.
func (d *Device) Copy(dst, src Ptr, n int) error {
	if n == 0 {
		return nil
	}
	var err error
	d.do(func() {
		err = d.check("cuMemcpyDtoD_v2", d.drv.call("cuMemcpyDtoD_v2", uintptr(dst), uintptr(src), uintptr(4*n)))
	})
	return err
}

// Sync waits for all launched work and reports asynchronous errors.
func (d *Device) Sync() error {
	var err error
	d.do(func() { err = d.check("cuCtxSynchronize", d.drv.call("cuCtxSynchronize")) })
	return err
}

// --- launches ------------------------------------------------------------------

// MaxDims is the number of dimensions a Layout can describe.
const MaxDims = 8

// Layout mirrors struct Layout of kernels.cu: a shape of ND dimensions and
// the strides (in elements) of up to two operands along them.
type Layout struct {
	ND    int64
	Shape [MaxDims]int64
	SA    [MaxDims]int64
	SB    [MaxDims]int64
}

// Dim3 is a grid or block size.
type Dim3 struct{ X, Y, Z uint32 }

// Launch runs kernel name with the given geometry and arguments. Arguments
// may be Ptr, int64, int32, Code, int, float32 or Layout; they are packed into one
// pinned slice: the first words are the kernelParams pointer array, the
// rest the values it points to.
func (d *Device) Launch(name string, grid, block Dim3, args ...any) error {
	words := 0
	for _, a := range args {
		switch a.(type) {
		case Layout:
			words += int(unsafe.Sizeof(Layout{}) / 8)
		case Ptr, int64, int32, Code, int, float32, uint64:
			words++
		default:
			return fmt.Errorf("cuda: Launch %s: unsupported argument type %T", name, a)
		}
	}
	buf := make([]uint64, len(args)+words)
	vals := buf[len(args):]
	k := 0
	slots := make([]int, len(args))
	for i, a := range args {
		slots[i] = k
		switch v := a.(type) {
		case Layout:
			lw := (*[unsafe.Sizeof(Layout{}) / 8]uint64)(unsafe.Pointer(&v))
			k += copy(vals[k:], lw[:])
		case Ptr:
			vals[k] = uint64(v)
			k++
		case uint64:
			vals[k] = v
			k++
		case int64:
			vals[k] = uint64(v)
			k++
		case int:
			vals[k] = uint64(int64(v))
			k++
		case int32:
			vals[k] = uint64(uint32(v))
			k++
		case Code:
			vals[k] = uint64(uint32(v))
			k++
		case float32:
			vals[k] = uint64(math.Float32bits(v))
			k++
		}
	}
	var err error
	d.do(func() {
		f, e := d.function(name)
		if e != nil {
			err = e
			return
		}
		var pin runtime.Pinner
		pin.Pin(&buf[0])
		defer pin.Unpin()
		base := uintptr(unsafe.Pointer(&buf[0]))
		for i := range args {
			buf[i] = uint64(base + uintptr(8*(len(args)+slots[i])))
		}
		r := d.drv.call("cuLaunchKernel", f,
			uintptr(grid.X), uintptr(grid.Y), uintptr(grid.Z),
			uintptr(block.X), uintptr(block.Y), uintptr(block.Z),
			0, 0, base, 0)
		err = d.check("cuLaunchKernel("+name+")", r)
	})
	return err
}

// function looks up (once) a kernel of the module (worker only).
func (d *Device) function(name string) (uintptr, error) {
	if f := d.funcs[name]; f != 0 {
		return f, nil
	}
	var f uintptr
	var pin runtime.Pinner
	pin.Pin(&f)
	defer pin.Unpin()
	cname := append([]byte(name), 0)
	pin.Pin(&cname[0])
	if err := d.check("cuModuleGetFunction("+name+")", d.drv.call("cuModuleGetFunction", uintptr(unsafe.Pointer(&f)), d.mod, uintptr(unsafe.Pointer(&cname[0])))); err != nil {
		return 0, err
	}
	d.funcs[name] = f
	return f, nil
}

// callBytes calls name with a pinned byte slice (a C string) as its first
// argument.
func (l *lib) callBytes(name string, b []byte, args ...uintptr) int {
	var pin runtime.Pinner
	pin.Pin(&b[0])
	defer pin.Unpin()
	return l.call(name, append([]uintptr{uintptr(unsafe.Pointer(&b[0]))}, args...)...)
}
