// Package tabletest reads the hand-written tables of tests: what the code
// under test must answer, kept as data in a JSON file of the test's
// testdata folder, apart from the code it checks.
package tabletest
