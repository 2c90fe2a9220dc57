// Package attnstat defines, once, the per-head statistics of attention
// weights that more than one package reports: model's
// Record.FirstTokenScore and PrevTokenScore, and viz's HeadStats and
// HeadStatsTensor ("sink mass", "previous token"), so that they give the
// same number for the same head.
//
// Each function reads one head's weights p, row-major [tq, tk]: row i is
// query i, column j is key j. With fewer queries than keys (a prompt
// continued with a KV cache) query i sits at key position i + tk − tq.
//
// Both statistics average over the queries at positions 1 … T−1 and leave
// out the query at position 0. In a causal model that query can attend to
// key 0 only, so its weight there is 1 and it has no previous token,
// whatever the head does: counting it would add 1/T to every head's sink
// mass (a head that never rests on the first token would still score 1/T,
// and every head of a short prompt would look like a sink). When no query
// counts (a single token) the statistic is 0.
package attnstat

// Sink is the mean weight that the queries at positions 1 … T−1 put on
// the first key (the "attention sink", usually BOS). A head far above the
// uniform share, the mean of 1/(i+1), uses the first token as a resting
// place.
func Sink(p []float32, tq, tk int) float64 {
	return meanOverQueries(p, tq, tk, func(pos int) int { return 0 })
}

// PrevToken is the mean weight that the queries at positions 1 … T−1 put
// on the key just before them (position i−1). Values near 1 mark
// previous-token heads.
func PrevToken(p []float32, tq, tk int) float64 {
	return meanOverQueries(p, tq, tk, func(pos int) int { return pos - 1 })
}

// meanOverQueries averages p[i, key(pos)] over the queries i whose
// position pos is at least 1 (and whose key is in range).
func meanOverQueries(p []float32, tq, tk int, key func(pos int) int) float64 {
	var sum float64
	n := 0
	for i := range tq {
		pos := i + tk - tq
		if j := key(pos); pos >= 1 && j >= 0 && j < tk {
			sum += float64(p[i*tk+j])
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}
