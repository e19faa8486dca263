// Command compose-check loads a Compose file the way Docker Compose v2 does,
// with its own loader (github.com/compose-spec/compose-go/v2), and prints the
// normalized project as JSON. It needs no Docker engine, so CI can validate
// docker-compose.yml where none runs (tests/cluster/test_compose.py).
//
// Loading interpolates ${VARIABLES} from the environment (a `${NAME:?message}`
// left unset fails), validates the file against the Compose Specification
// schema, parses durations, ports and sizes, and checks that what services
// name exists (depends_on, networks, volumes). Then the Dockerfile of every
// service that builds is parsed and linted with BuildKit's parser, and its
// build target must be one of its stages (dockerfile.go). A file that Docker
// Compose would refuse, or a build that could not start, makes it exit 1
// with the reason on stderr.
//
// Usage: compose-check [-profile NAME]... [-project-name NAME] FILE...
//
// Only the process environment is read, never a .env file, so the result does
// not depend on the secrets of whoever runs it. Every profile is active
// unless -profile is given, so that services behind a profile are checked too.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type profileList []string

func (p *profileList) String() string     { return strings.Join(*p, ",") }
func (p *profileList) Set(v string) error { *p = append(*p, v); return nil }

func main() {
	var profiles profileList
	flag.Var(&profiles, "profile", "profile to activate (repeatable); all of them when omitted")
	projectName := flag.String("project-name", "", "project name, as with docker compose -p (default: the file's name: key)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: compose-check [-profile NAME]... [-project-name NAME] FILE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if len(profiles) == 0 {
		profiles = profileList{"*"}
	}

	settings := []cli.ProjectOptionsFn{cli.WithOsEnv, cli.WithProfiles(profiles)}
	if *projectName != "" {
		settings = append(settings, cli.WithName(*projectName))
	}
	options, err := cli.NewProjectOptions(flag.Args(), settings...)
	if err != nil {
		fail(err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	if problems := checkBuilds(project); len(problems) > 0 {
		fail(fmt.Errorf("%s", strings.Join(problems, "\n")))
	}
	normalized, err := project.MarshalJSON()
	if err != nil {
		fail(err)
	}
	fmt.Println(string(normalized))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compose-check:", err)
	os.Exit(1)
}
