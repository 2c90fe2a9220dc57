// Package english writes the small pieces of English that messages need
// to agree in number: "1 layer", "3 layers", "1 query", "2 queries".
package english

import (
	"strconv"
	"strings"
)

// Count writes n and the noun, in the plural unless n is 1 or −1. The
// plural adds "s" to the last word ("query token" → "query tokens"); an
// irregular one follows a "|": Count(2, "query|queries") is "2 queries".
func Count(n int, noun string) string {
	return strconv.Itoa(n) + " " + Noun(n, noun)
}

// Noun is the noun of Count without the number.
func Noun(n int, noun string) string {
	one, many, irregular := strings.Cut(noun, "|")
	if n == 1 || n == -1 {
		return one
	}
	if irregular {
		return many
	}
	return Plural(one)
}

// Plural is the plural of a noun phrase: its last word with "s" (or "es"
// after s, x, ch, sh; "ies" after a consonant and y).
func Plural(noun string) string {
	switch {
	case noun == "":
		return noun
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"), strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		return noun + "es"
	case strings.HasSuffix(noun, "y") && len(noun) > 1 && !strings.ContainsRune("aeiou", rune(noun[len(noun)-2])):
		return noun[:len(noun)-1] + "ies"
	}
	return noun + "s"
}

// Verb agrees a verb given in the third person singular ("holds",
// "carries", "is", "has", "was", "does") with a plural subject when
// plural is true: "hold", "carry", "are", "have", "were", "do".
func Verb(plural bool, verb string) string {
	if !plural {
		return verb
	}
	switch verb {
	case "is":
		return "are"
	case "has":
		return "have"
	case "was":
		return "were"
	case "does":
		return "do"
	}
	switch {
	case strings.HasSuffix(verb, "ies"):
		return verb[:len(verb)-3] + "y"
	case strings.HasSuffix(verb, "ches"), strings.HasSuffix(verb, "shes"), strings.HasSuffix(verb, "sses"), strings.HasSuffix(verb, "xes"):
		return verb[:len(verb)-2]
	case strings.HasSuffix(verb, "s"):
		return verb[:len(verb)-1]
	}
	return verb
}
