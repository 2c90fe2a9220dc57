package attnstat

// InductionTargets gives, for each position i of ids, the position just
// after the most recent earlier occurrence of ids[i] — where an induction
// head looks from i — or -1 when ids[i] has not occurred before.
//
//	ids      a  b  c  d  a  b  c
//	targets -1 -1 -1 -1  1  2  3
func InductionTargets(ids []int) []int {
	last := map[int]int{}
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = -1
		if p, ok := last[id]; ok {
			out[i] = p + 1
		}
		last[id] = i
	}
	return out
}

// Induction is the mean weight that the queries with a target put on it
// (targets from InductionTargets, one per query of a [t, t] head p), and
// the number of such queries; 0, 0 when there are none. Values near 1 mark
// induction heads: they continue a repeated sequence by attending to what
// followed the current token last time.
func Induction(p []float32, t int, targets []int) (float64, int) {
	var sum float64
	n := 0
	for i, j := range targets[:t] {
		if j >= 0 {
			sum += float64(p[i*t+j])
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}
