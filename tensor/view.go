package tensor

import "fmt"

// view returns a tensor sharing t's storage with a new shape/strides/offset.
func (t *Tensor) view(shape, strides []int, offset int) *Tensor {
	return &Tensor{shape: shape, strides: strides, offset: offset, data: t.data, dev: t.dev, buf: t.buf, ws: t.ws}
}

// Index fixes the leading dimensions: t.Index(l, h) of an [L, H, T, T]
// tensor is the [T, T] attention of layer l, head h, as t[l, h] in PyTorch.
// Negative indices count from the end. It returns a view (no copy); an
// index out of range gives a tensor carrying an ErrShape error.
func (t *Tensor) Index(idx ...int) *Tensor {
	if t.Err() != nil {
		return t
	}
	if len(idx) > len(t.shape) {
		return Failed(shapeErr("Index", fmt.Sprintf("%d indices for a %d-D tensor", len(idx), len(t.shape)), "", t.shape))
	}
	off := t.offset
	for i, x := range idx {
		if x < 0 {
			x += t.shape[i]
		}
		if x < 0 || x >= t.shape[i] {
			return Failed(shapeErr("Index", fmt.Sprintf("index %d out of range for dimension %d (size %d)", idx[i], i, t.shape[i]), fmt.Sprintf("valid indices are 0..%d", t.shape[i]-1), t.shape))
		}
		off += x * t.strides[i]
	}
	return t.view(append([]int(nil), t.shape[len(idx):]...), append([]int(nil), t.strides[len(idx):]...), off)
}

// Select picks index i along dimension dim and removes that dimension
// (torch.select). It returns a view.
func (t *Tensor) Select(dim, i int) *Tensor {
	if t.Err() != nil {
		return t
	}
	d, ok := normDim(dim, len(t.shape))
	if !ok {
		return Failed(shapeErr("Select", fmt.Sprintf("dimension %d out of range for a %d-D tensor", dim, len(t.shape)), "", t.shape))
	}
	if i < 0 {
		i += t.shape[d]
	}
	if i < 0 || i >= t.shape[d] {
		return Failed(shapeErr("Select", fmt.Sprintf("index %d out of range for dimension %d (size %d)", i, d, t.shape[d]), "", t.shape))
	}
	shape := append(append([]int(nil), t.shape[:d]...), t.shape[d+1:]...)
	strides := append(append([]int(nil), t.strides[:d]...), t.strides[d+1:]...)
	return t.view(shape, strides, t.offset+i*t.strides[d])
}

// Slice keeps indices start ≤ i < end along dimension dim (t[..., start:end]
// in PyTorch). Negative start/end count from the end. It returns a view.
func (t *Tensor) Slice(dim, start, end int) *Tensor {
	if t.Err() != nil {
		return t
	}
	d, ok := normDim(dim, len(t.shape))
	if !ok {
		return Failed(shapeErr("Slice", fmt.Sprintf("dimension %d out of range for a %d-D tensor", dim, len(t.shape)), "", t.shape))
	}
	n := t.shape[d]
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 || end > n || start > end {
		return Failed(shapeErr("Slice", fmt.Sprintf("range %d:%d does not fit dimension %d (size %d)", start, end, d, n), "want 0 ≤ start ≤ end ≤ size", t.shape))
	}
	shape := append([]int(nil), t.shape...)
	shape[d] = end - start
	return t.view(shape, append([]int(nil), t.strides...), t.offset+start*t.strides[d])
}

// Reshape returns a tensor with the same elements in row-major order and a
// new shape; one dimension may be -1 and is inferred. It is a view when t
// is contiguous and a copy otherwise.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	if t.Err() != nil {
		return t
	}
	shape = append([]int(nil), shape...)
	n := t.Len()
	infer := -1
	known := 1
	for i, s := range shape {
		switch {
		case s == -1 && infer < 0:
			infer = i
		case s < 0:
			return Failed(shapeErr("Reshape", "dimensions must be ≥ 0 (one may be -1)", "", t.shape, shape))
		default:
			known *= s
		}
	}
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			return Failed(shapeErr("Reshape", fmt.Sprintf("cannot infer -1: %d elements do not divide by %d", n, known), "", t.shape, shape))
		}
		shape[infer] = n / known
	}
	if numel(shape) != n {
		return Failed(shapeErr("Reshape", fmt.Sprintf("%d elements cannot take a shape of %d", n, numel(shape)), "the product of the new shape must equal the old one's", t.shape, shape))
	}
	c := t
	if !t.IsContiguous() {
		c = t.Contiguous()
		if c.err != nil {
			return c
		}
	}
	return c.view(shape, rowMajorStrides(shape), c.offset)
}

// Flatten reshapes to 1-D.
func (t *Tensor) Flatten() *Tensor { return t.Reshape(-1) }

// Unsqueeze inserts a dimension of size 1 at position dim (a view).
func (t *Tensor) Unsqueeze(dim int) *Tensor {
	if t.Err() != nil {
		return t
	}
	d, ok := normDim(dim, len(t.shape)+1)
	if !ok {
		return Failed(shapeErr("Unsqueeze", fmt.Sprintf("position %d out of range for a %d-D tensor", dim, len(t.shape)), "", t.shape))
	}
	st := 1
	if d < len(t.shape) {
		st = t.strides[d] * t.shape[d]
	}
	shape := append(append(append([]int(nil), t.shape[:d]...), 1), t.shape[d:]...)
	strides := append(append(append([]int(nil), t.strides[:d]...), st), t.strides[d:]...)
	return t.view(shape, strides, t.offset)
}

// Squeeze removes dimension dim, which must have size 1 (a view).
func (t *Tensor) Squeeze(dim int) *Tensor {
	if t.Err() != nil {
		return t
	}
	d, ok := normDim(dim, len(t.shape))
	if !ok || t.shape[d] != 1 {
		return Failed(shapeErr("Squeeze", fmt.Sprintf("dimension %d is not of size 1", dim), "", t.shape))
	}
	return t.Select(d, 0)
}

// Transpose swaps dimensions d0 and d1 (a view).
func (t *Tensor) Transpose(d0, d1 int) *Tensor {
	if t.Err() != nil {
		return t
	}
	a, ok0 := normDim(d0, len(t.shape))
	b, ok1 := normDim(d1, len(t.shape))
	if !ok0 || !ok1 {
		return Failed(shapeErr("Transpose", fmt.Sprintf("dimensions %d and %d: out of range for a %d-D tensor", d0, d1, len(t.shape)), "", t.shape))
	}
	shape := append([]int(nil), t.shape...)
	strides := append([]int(nil), t.strides...)
	shape[a], shape[b] = shape[b], shape[a]
	strides[a], strides[b] = strides[b], strides[a]
	return t.view(shape, strides, t.offset)
}

// T swaps the last two dimensions (Kᵀ for a [.., T, d] tensor). A 1-D
// tensor is returned unchanged.
func (t *Tensor) T() *Tensor {
	if t.Err() != nil || len(t.shape) < 2 {
		return t
	}
	return t.Transpose(-2, -1)
}

// Permute reorders the dimensions: the result's dimension i is t's
// dimension dims[i] (a view).
func (t *Tensor) Permute(dims ...int) *Tensor {
	if t.Err() != nil {
		return t
	}
	if len(dims) != len(t.shape) {
		return Failed(shapeErr("Permute", fmt.Sprintf("%d dimensions given for a %d-D tensor", len(dims), len(t.shape)), "name every dimension once", t.shape))
	}
	seen := make([]bool, len(dims))
	shape := make([]int, len(dims))
	strides := make([]int, len(dims))
	for i, d := range dims {
		nd, ok := normDim(d, len(dims))
		if !ok || seen[nd] {
			return Failed(shapeErr("Permute", fmt.Sprintf("%v is not a permutation of 0..%d", dims, len(dims)-1), "", t.shape))
		}
		seen[nd] = true
		shape[i] = t.shape[nd]
		strides[i] = t.strides[nd]
	}
	return t.view(shape, strides, t.offset)
}

// Contiguous returns t if it is contiguous, otherwise a row-major copy on
// the same device (made in t's Workspace, if it has one; Clone always
// makes a copy of its own).
func (t *Tensor) Contiguous() *Tensor {
	if t.Err() != nil || t.IsContiguous() {
		return t
	}
	return t.cloneIn(t.ws.out)
}
