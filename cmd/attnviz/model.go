package main

import (
	"fmt"
	"os"
)

// runModel is replaced by the model engineer's implementation.
func runModel(args []string) int {
	fmt.Fprintln(os.Stderr, "attnviz model: not built yet")
	return 1
}
