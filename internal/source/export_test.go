package source

// SetSeeks turns seeking listings on or off, to compare both ways of listing one bucket.
func (b *Bucket) SetSeeks(on bool) { b.seeks = on }
