package english

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		noun string
		want string
	}{
		{1, "query token", "1 query token"}, {0, "query token", "0 query tokens"}, {3, "layer", "3 layers"},
		{1, "query|queries", "1 query"}, {2, "query|queries", "2 queries"}, {2, "key", "2 keys"},
		{2, "index", "2 indexes"}, {2, "batch", "2 batches"}, {2, "entry", "2 entries"}, {2, "day", "2 days"},
		{-1, "byte", "-1 byte"}, {2, "dimension", "2 dimensions"},
	} {
		if got := Count(c.n, c.noun); got != c.want {
			t.Errorf("Count(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}

func TestVerb(t *testing.T) {
	for v, want := range map[string]string{"holds": "hold", "carries": "carry", "is": "are", "has": "have",
		"was": "were", "does": "do", "reaches": "reach", "passes": "pass", "mixes": "mix"} {
		if got := Verb(true, v); got != want {
			t.Errorf("Verb(true, %q) = %q, want %q", v, got, want)
		}
		if got := Verb(false, v); got != v {
			t.Errorf("Verb(false, %q) = %q", v, got)
		}
	}
}
