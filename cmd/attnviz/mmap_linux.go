package main

import "syscall"

// mapPopulate faults the whole mapping in with one call (the values are
// all read at once).
const mapPopulate = syscall.MAP_POPULATE
