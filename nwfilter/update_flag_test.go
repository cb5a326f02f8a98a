package nwfilter

import "flag"

// update rewrites golden files: go test ./nwfilter -update
var update = flag.Bool("update", false, "rewrite golden files")
