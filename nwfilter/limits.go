package nwfilter

// Limits bound what a Parser accepts, so that hostile documents cost little.
// A zero field takes its value from DefaultLimits.
type Limits struct {
	// MaxBytes is the largest document in bytes.
	MaxBytes int
	// MaxDepth is the deepest element nesting (the language needs 4).
	MaxDepth int
	// MaxElements is the most elements in one document.
	MaxElements int
	// MaxAttrs is the most attributes on one element (stp takes 25).
	MaxAttrs int
	// MaxValueLen is the longest attribute value or element text in bytes.
	MaxValueLen int
	// MaxParams is the most <parameter> children of one <filterref>.
	MaxParams int
	// MaxErrors is the most problems reported for one document; parsing
	// stops after that many.
	MaxErrors int
}

// DefaultLimits returns the limits a zero Parser uses: 4 MiB, depth 16,
// 100 000 elements, 64 attributes per element, 4 KiB per value, 10 000
// parameters per filterref and 100 errors.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:    4 << 20,
		MaxDepth:    16,
		MaxElements: 100_000,
		MaxAttrs:    64,
		MaxValueLen: 4 << 10,
		MaxParams:   10_000,
		MaxErrors:   100,
	}
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&l.MaxBytes, d.MaxBytes)
	fill(&l.MaxDepth, d.MaxDepth)
	fill(&l.MaxElements, d.MaxElements)
	fill(&l.MaxAttrs, d.MaxAttrs)
	fill(&l.MaxValueLen, d.MaxValueLen)
	fill(&l.MaxParams, d.MaxParams)
	fill(&l.MaxErrors, d.MaxErrors)
	return l
}
