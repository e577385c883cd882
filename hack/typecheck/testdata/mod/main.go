package main

import "example.com/tc/unixonly"

func main() {
	notOnWindows()
	unixonly.Hello()
	for i := range 3 { // range over an int: go1.22 from the go line
		_ = i
	}
}
