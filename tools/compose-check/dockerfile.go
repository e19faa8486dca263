package main

// Build definitions. Docker Compose reads a service's Dockerfile only when it
// builds the image, so a Dockerfile that does not parse, or a build target
// that names no stage, would first show on a user's machine. They are checked
// here with BuildKit's own Dockerfile parser and linter (the rules that need
// no build: instruction syntax, casing, stage names, JSON arguments).

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// checkBuilds returns one problem per service whose build cannot work.
func checkBuilds(project *types.Project) []string {
	var problems []string
	stagesByFile := map[string][]string{}
	names := make([]string, 0, len(project.Services))
	for name := range project.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		build := project.Services[name].Build
		if build == nil || build.DockerfileInline != "" {
			continue
		}
		path := build.Dockerfile
		if !filepath.IsAbs(path) {
			path = filepath.Join(build.Context, path)
		}
		stages, seen := stagesByFile[path]
		if !seen {
			var err error
			if stages, err = dockerfileStages(path); err != nil {
				problems = append(problems, fmt.Sprintf("service %s: %v", name, err))
			}
			stagesByFile[path] = stages
		}
		if build.Target != "" && stages != nil && !contains(stages, build.Target) {
			problems = append(problems, fmt.Sprintf("service %s: build target %q is not a stage of %s (stages: %v)", name, build.Target, path, stages))
		}
	}
	return problems
}

// dockerfileStages parses a Dockerfile and returns its stage names; any
// parser or linter warning is an error.
func dockerfileStages(path string) ([]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	result, err := parser.Parse(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var warnings []string
	for _, warning := range result.Warnings {
		warnings = append(warnings, fmt.Sprintf("%s: %s", path, warning.Short))
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, message string, location []parser.Range) {
		line := 0
		if len(location) > 0 {
			line = location[0].Start.Line
		}
		warnings = append(warnings, fmt.Sprintf("%s:%d: %s: %s", path, line, rule, message))
	}})
	stages, _, err := instructions.Parse(result.AST, lint)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(warnings) > 0 {
		return nil, fmt.Errorf("%v", warnings)
	}
	names := make([]string, 0, len(stages))
	for _, stage := range stages {
		names = append(names, stage.Name)
	}
	return names, nil
}

func contains(values []string, wanted string) bool {
	for _, value := range values {
		if value == wanted {
			return true
		}
	}
	return false
}
