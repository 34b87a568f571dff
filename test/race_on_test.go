//go:build race

package test

// raceBuild tells whether the tests run under the race detector.
const raceBuild = true
