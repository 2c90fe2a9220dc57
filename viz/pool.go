package viz

// Matrices larger than the figure: one pass over the values checks them
// (NaN, +Inf, −Inf masked cells), finds their range and each row's sum, and
// pools them to the pixel grid at once, so the cost after reading the
// values grows with the output's pixels, not with the cells.

import (
	"math"
	"runtime"
	"sync"

	"github.com/attnviz/attnviz/tensor"
)

// PoolMode says what a pixel shows when a matrix has more cells than the
// figure has pixels: each pixel stands for a k×k block of cells.
type PoolMode int

const (
	// PoolMax shows the block's largest value (the default): one strong
	// weight (a sharp head, an attention sink) stays visible however long
	// the sequence.
	PoolMax PoolMode = iota
	// PoolMean shows the block's mean: where the attention mass lies.
	PoolMean
)

func (p PoolMode) String() string {
	if p == PoolMean {
		return "mean"
	}
	return "max"
}

// Pool chooses what a pixel of a Heatmap shows when the matrix has more
// cells than the figure has pixels: PoolMax (the default) or PoolMean of
// its block of cells. The figure says which, under the matrix. Masked
// cells (−Inf, or 0 in Mask) are left out of the blocks.
func Pool(mode PoolMode) Option {
	return func(c *config) {
		c.given |= optPool
		c.pool = mode
		if mode != PoolMax && mode != PoolMean {
			c.optWarn = append(c.optWarn, "Pool: the mode must be viz.PoolMax or viz.PoolMean; drawn with PoolMax")
			c.pool = PoolMax
		}
	}
}

// pooled is what poolScan finds: the pooled matrix (ch × cw pixels, NaN
// where every cell of the block is masked) and what a pass over the
// values finds (the range of the finite values not masked, −Inf cells,
// the first NaN/+Inf, each row's sum of its finite values).
type pooled struct {
	vals   []float32 // ch×cw
	cw, ch int
	k      int
	scan   valueScan
	sums   []float64
	masked bool // some cell is masked (−Inf or by the mask)
}

// maskRows gives the Mask option's row r ([cols] values, 0 = blocked), or
// nil when there is no mask.
type maskRows func(r int) []float32

// poolScan makes the one pass over d ([rows, cols], row-major): the value
// scan and the k×k pooling (max or mean) of the cells not masked. Bands of
// k rows are shared among the CPUs.
func poolScan(d []float32, rows, cols, k int, mode PoolMode, mask maskRows) *pooled {
	cw, ch := ceilDiv(cols, k), ceilDiv(rows, k)
	p := &pooled{vals: make([]float32, cw*ch), cw: cw, ch: ch, k: k, sums: make([]float64, rows)}
	workers := runtime.GOMAXPROCS(0)
	if rows*cols < 1<<18 {
		workers = 1
	}
	workers = min(workers, ch)
	scans := make([]valueScan, workers)
	masked := make([]bool, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b0, b1 := ch*w/workers, ch*(w+1)/workers
			scans[w], masked[w] = poolBands(d, rows, cols, k, b0, b1, mode, mask, p)
		}()
	}
	wg.Wait()
	s := valueScan{bad: -1}
	for w, sc := range scans {
		if sc.bad >= 0 && s.bad < 0 {
			s.bad = sc.bad // bands are in order: the first is the first
		}
		s.negInf = s.negInf || sc.negInf
		p.masked = p.masked || masked[w]
		if sc.seen {
			if !s.seen {
				s.lo, s.hi = sc.lo, sc.hi
			}
			s.lo, s.hi, s.seen = math.Min(s.lo, sc.lo), math.Max(s.hi, sc.hi), true
		}
	}
	p.scan = s
	return p
}

// poolBands pools the bands of k rows b0 … b1-1 into p.vals and the rows'
// sums into p.sums, and returns the scan of those rows and whether a cell
// was masked.
func poolBands(d []float32, rows, cols, k, b0, b1 int, mode PoolMode, mask maskRows, p *pooled) (valueScan, bool) {
	const maxF = math.MaxFloat32
	s := valueScan{bad: -1}
	l, h := float32(maxF), float32(-maxF)
	anyMasked := false
	cw := p.cw
	bmaxs := make([]float32, cw) // block maxima (PoolMax)
	bsums := make([]float64, cw) // block sums (PoolMean)
	cnt := make([]int32, cw)     // cells counted per block
	for b := b0; b < b1; b++ {
		for j := range cw {
			bmaxs[j], bsums[j], cnt[j] = -maxF, 0, 0
		}
		for r := b * k; r < min((b+1)*k, rows); r++ {
			row := d[r*cols : (r+1)*cols]
			var mrow []float32
			if mask != nil {
				mrow = mask(r)
			}
			var sum float64
			for j0, bj := 0, 0; j0 < cols; j0, bj = j0+k, bj+1 {
				blk := row[j0:min(j0+k, cols)]
				if mrow == nil {
					// the common case: every value of the block finite and ≥ 0
					hb, lb, sign, nf, bs := foldBlock(blk)
					if (sign|nf)&0x80000000 == 0 {
						hi, lo := math.Float32frombits(uint32(hb)), math.Float32frombits(uint32(lb))
						sum += float64(bs)
						l, h = min(l, lo), max(h, hi)
						bmaxs[bj] = max(bmaxs[bj], hi)
						bsums[bj] += float64(bs)
						cnt[bj] += int32(len(blk))
						continue
					}
				}
				// cell by cell: masked cells, −Inf, or a bad value
				for jj, v := range blk {
					blocked := mrow != nil && mrow[j0+jj] == 0
					if v >= -maxF && v <= maxF {
						sum += float64(v)
						if blocked {
							anyMasked = true
							continue
						}
						l, h = min(l, v), max(h, v)
						bmaxs[bj] = max(bmaxs[bj], v)
						bsums[bj] += float64(v)
						cnt[bj]++
						continue
					}
					if v < 0 {
						s.negInf, anyMasked = true, true
						continue
					}
					if s.bad < 0 {
						s.bad = r*cols + j0 + jj
					}
				}
			}
			p.sums[r] = sum
		}
		out := p.vals[b*cw : (b+1)*cw]
		for j := range out {
			switch {
			case cnt[j] == 0:
				out[j] = float32(math.NaN())
			case mode == PoolMean:
				out[j] = float32(bsums[j] / float64(cnt[j]))
			default:
				out[j] = bmaxs[j]
			}
		}
	}
	s.lo, s.hi, s.seen = float64(l), float64(h), l <= h
	return s, anyMasked
}

// readMaskRows reads the Mask option for a [rows, cols] matrix as rows of
// values (0 = blocked) without making a [rows, cols] copy: a [cols] or
// [1, cols] mask (padding) gives the same row for every r. It accepts
// what readMask accepts, with the same messages.
func readMaskRows(view string, mask *tensor.Tensor, rows, cols int) (maskRows, error) {
	if mask == nil {
		return nil, nil
	}
	if mask.Err() == nil {
		shape := squeezeLead(mask.Shape(), 2)
		switch {
		case len(shape) == 2 && shape[0] == rows && shape[1] == cols:
			d, err := mask.ReadOnlyData()
			if err == nil {
				return func(r int) []float32 { return d[r*cols : (r+1)*cols] }, nil
			}
		case len(shape) == 2 && shape[0] == 1 && shape[1] == cols, len(shape) == 1 && shape[0] == cols:
			d, err := mask.ReadOnlyData()
			if err == nil {
				return func(int) []float32 { return d[:cols] }, nil
			}
		}
	}
	// everything else: readMask says what is wrong
	_, err := readMask(view, mask, rows, cols)
	if err == nil {
		err = tensor.Errorf(tensor.ErrValue, "viz.%s: cannot read the mask", view)
	}
	return nil, err
}

// foldBlock folds a block of values in one pass with integer operations
// (the float min/max of Go are slow): the largest and smallest bit
// patterns as int32 (the max and min of the block when no value is
// negative), the OR of the values' bits (bit 31: some value is negative or
// −0), bit 31 of nf set when some value is not finite (exponent all ones),
// and the sum.
func foldBlock(blk []float32) (hi, lo int32, sign, nf uint32, sum float32) {
	var s0, s1 float32
	hi, lo = math.MinInt32, math.MaxInt32
	i := 0
	for ; i+2 <= len(blk); i += 2 {
		x0, x1 := blk[i], blk[i+1]
		b0, b1 := math.Float32bits(x0), math.Float32bits(x1)
		nf |= ((b0 & 0x7f800000) + 0x00800000) | ((b1 & 0x7f800000) + 0x00800000)
		sign |= b0 | b1
		hi = max(hi, int32(b0), int32(b1))
		lo = min(lo, int32(b0), int32(b1))
		s0 += x0
		s1 += x1
	}
	if i < len(blk) {
		x0 := blk[i]
		b0 := math.Float32bits(x0)
		nf |= (b0 & 0x7f800000) + 0x00800000
		sign |= b0
		hi, lo = max(hi, int32(b0)), min(lo, int32(b0))
		s0 += x0
	}
	return hi, lo, sign, nf, s0 + s1
}
