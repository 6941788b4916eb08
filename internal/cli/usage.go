package cli

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kiln-build/kiln/compiler/diag"
)

// Cobra's and pflag's messages of a command line that does not parse.
var (
	unknownFlag  = regexp.MustCompile(`^unknown flag: --([^\s=]+)$`)
	unknownShort = regexp.MustCompile(`^unknown shorthand flag: '(.)' in -([^\s=]+)$`)
	// dbtCommandsNotYet are dbt's commands kiln does not have yet, with
	// what to do instead.
	dbtCommandsNotYet = map[string]string{
		"clone": "to read production's relations from a development build, use --defer --state <production artifacts>",
		"init":  "write project.yml (or dbt_project.yml) by hand: README's \"A project from scratch\" shows one",
	}
	unknownCommand = regexp.MustCompile(`^unknown command "((?:[^"\\]|\\.)*)" for "[^"]*"`)
	argCount       = regexp.MustCompile(`^(accepts|accepts at most|requires at least) (\d+) arg\(s\), (?:only )?received (\d+)$`)
)

// usageError returns the message of err, cobra's error for a command line
// that cmd (the command it found) cannot run, in kiln's words: an unknown
// flag or subcommand with the nearest one ("did you mean --select?", by
// diag.Closest as refs' suggestions), an argument given to a command that
// takes none (with -s for a command that selects nodes), a wrong count of
// arguments with the command's usage, a flag value that does not parse
// with what the flag expects (flagError).
func usageError(cmd *cobra.Command, err error) string {
	msg := err.Error()
	if cmd == nil {
		return flagError(msg)
	}
	name := cmd.CommandPath()
	if m := unknownFlag.FindStringSubmatch(msg); m != nil {
		if hint, ok := dbtFlags[m[1]]; ok {
			return dbtFlagError(m[1], hint)
		}
		out := fmt.Sprintf("unknown flag --%s for %s", m[1], name)
		if c := diag.Closest(m[1], flagNames(cmd), 2); len(c) > 0 {
			out += "; did you mean --" + strings.Join(c, " or --") + "?"
		}
		return out
	}
	if m := unknownShort.FindStringSubmatch(msg); m != nil {
		out := fmt.Sprintf("unknown flag -%s for %s", m[1], name)
		if len(m[2]) > 1 {
			// -fullrefresh: a long flag written with one dash.
			out = fmt.Sprintf("unknown flag -%s (in -%s) for %s", m[1], m[2], name)
			if c := diag.Closest(m[2], flagNames(cmd), 2); len(c) > 0 {
				out += "; did you mean --" + strings.Join(c, " or --") + "?"
			}
		}
		return out
	}
	if m := unknownCommand.FindStringSubmatch(msg); m != nil {
		word := strings.ReplaceAll(m[1], `\"`, `"`)
		if how, ok := dbtCommandsNotYet[word]; ok && !cmd.HasParent() {
			return fmt.Sprintf("dbt's %q command is not supported yet by kiln; %s", word, how)
		}
		if subs := subcommandNames(cmd); len(subs) > 0 {
			out := fmt.Sprintf("unknown command %q for %s", word, name)
			if h := diag.DidYouMean(word, subs); h != "" {
				return out + "; " + h
			}
			return out + fmt.Sprintf("; its commands are %s", strings.Join(subs, ", "))
		}
		out := fmt.Sprintf("%s takes no argument, and was given %q", name, word)
		if cmd.Flags().Lookup("select") != nil {
			out += fmt.Sprintf("; to select nodes, use --select (-s): %s -s %s", name, word)
		}
		return out
	}
	if m := argCount.FindStringSubmatch(msg); m != nil {
		how := map[string]string{"accepts": "", "accepts at most": "at most ", "requires at least": "at least "}[m[1]]
		noun := "arguments"
		if m[2] == "1" {
			noun = "argument"
		}
		return fmt.Sprintf("%s takes %s%s %s, and was given %s; usage: %s", name, how, m[2], noun, m[3], cmd.UseLine())
	}
	return flagError(msg)
}

// dbtFlags are the dbt flags kiln does not support yet, with what to use
// instead ("" when nothing does); README.md's list of them is this one
// (TestDBTFlagsListedInReadme).
var dbtFlags = map[string]string{
	"empty":               "kiln compile checks the models' SQL without building them",
	"show":                "kiln show -s NAME prints a seed's or a model's first rows",
	"print":               "",
	"no-print":            "",
	"sample":              "",
	"log-level":           "--quiet prints only errors, --log-format json every event",
	"debug":               "--log-format json prints every event",
	"log-path":            "kiln writes its log to <target-path>/kiln.log",
	"use-colors":          "kiln colours its output on a terminal",
	"no-use-colors":       "NO_COLOR=1 turns the colours off",
	"upgrade":             "kiln deps resolves packages.yml again each time (package-lock.yml records what it installed, and is not read)",
	"lock":                "kiln deps installs the packages and writes package-lock.yml in one step",
	"add-package":         "add the package to packages.yml, then run kiln deps",
	"static":              "kiln docs generate's <target>/docs/index.html is one self-contained file already, as dbt's static_index.html",
	"no-compile":          "",
	"printer-width":       "",
	"single-threaded":     "--threads 1 runs the nodes one by one, in a deterministic order",
	"populate-cache":      "kiln has no relation cache: it reads the database's catalog where a command needs it",
	"no-populate-cache":   "kiln has no relation cache: it reads the database's catalog where a command needs it",
	"cache-selected-only": "kiln has no relation cache: it reads the database's catalog where a command needs it",
	"introspect":          "kiln compile renders a template that reads execute with the database when there is one, else with execute false",
	"no-introspect":       "kiln compile renders a template that reads execute with the database when there is one, else with execute false",
	"write-json":          "kiln writes manifest.json and run_results.json to the target path",
	"no-write-json":       "kiln writes manifest.json and run_results.json to the target path",
}

// dbtFlagError says that --name is a dbt flag kiln does not support yet,
// and what to use instead when something does.
func dbtFlagError(name, hint string) string {
	out := fmt.Sprintf("`--%s` is a dbt flag that kiln does not support yet", name)
	if hint != "" {
		out += "; " + hint
	}
	return out
}

// flagNames returns the names of the flags cmd accepts, its own and those
// it inherits, without the hidden and deprecated ones.
func flagNames(cmd *cobra.Command) []string {
	seen := map[string]bool{}
	var names []string
	add := func(f *pflag.Flag) {
		if !f.Hidden && f.Deprecated == "" && !seen[f.Name] {
			seen[f.Name] = true
			names = append(names, f.Name)
		}
	}
	cmd.Flags().VisitAll(add)
	cmd.InheritedFlags().VisitAll(add)
	sort.Strings(names)
	return names
}

// subcommandNames returns the names of cmd's commands users can run.
func subcommandNames(cmd *cobra.Command) []string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	sort.Strings(names)
	return names
}
