// Command ccfacade serves the Care Connect API (FHIR STU3, read-only) from an
// existing care system's SQL database. See the README.
package main

import (
	"context"
	"os"
	_ "time/tzdata" // zones work in minimal container images

	"github.com/ccfacade/ccfacade/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
