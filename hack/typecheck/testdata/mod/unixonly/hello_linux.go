package unixonly

// Hello exists only on Linux.
func Hello() {}
