package unixonly

// Hello exists only on macOS.
func Hello() {}
