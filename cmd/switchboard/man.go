package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"switchboard/internal/gateway"
)

// newManCommand is `switchboard man --dir DIR`: the man pages, generated from
// the command tree's own help, so they never drift from --help. The Debian
// package calls exactly this command line at build time.
func newManCommand(root *cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "man --dir DIR",
		Short: "write the man pages (switchboard.1 and one page per subcommand) into DIR",
		Long: `Write the man pages into DIR: switchboard.1 and one page per subcommand
(switchboard-fax-send.1, ...), generated from the same help text as --help.
Their date is $SOURCE_DATE_EPOCH when set (reproducible builds), else today.`,
		Args: cobra.NoArgs,
	}
	dir := cmd.Flags().String("dir", "", "the folder to write the pages into (created if missing; required)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		stderr := cmd.ErrOrStderr()
		if *dir == "" {
			fmt.Fprintln(stderr, "switchboard man: --dir is required: the folder to write the pages into")
			return exitCode(2)
		}
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			fmt.Fprintf(stderr, "switchboard man: %v\n", err)
			return exitCode(1)
		}
		header := &doc.GenManHeader{
			Title:   "SWITCHBOARD",
			Section: "1",
			Source:  "switchboard " + gateway.Version,
			Manual:  "switchboard manual",
		}
		verbatim(root)
		if err := doc.GenManTree(root, header, *dir); err != nil {
			fmt.Fprintf(stderr, "switchboard man: writing the pages into %s: %v\n", *dir, err)
			return exitCode(1)
		}
		return nil
	}
	return cmd
}

// verbatim makes every long help text a Markdown code block (four spaces in
// front of each line): cobra/doc reads Long as Markdown, and ours is laid out
// by hand, usage lines in columns, which Markdown would fill into one
// paragraph. It changes the tree, which man builds for this run only.
func verbatim(c *cobra.Command) {
	if c.Long != "" {
		lines := strings.Split(strings.TrimRight(c.Long, "\n"), "\n")
		for i, l := range lines {
			lines[i] = "    " + l
		}
		c.Long = strings.Join(lines, "\n")
	}
	for _, s := range c.Commands() {
		verbatim(s)
	}
}
