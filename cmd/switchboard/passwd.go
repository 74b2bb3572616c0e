package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"golang.org/x/term"

	"switchboard/internal/passwd"
)

// passwdCommand is `switchboard passwd`: the password comes from the
// terminal or stdin, so the command reads cobra's input, not os.Stdin, and a
// test can hand it one.
func passwdCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "passwd < password-file",
		Short: "hash a broker user's password for mqtt.embedded.users[].password_hash (argon2id)",
		Long: "Reads a password (from the terminal without echo, or the first line of stdin)\n" +
			"and prints its argon2id hash for mqtt.embedded.users[].password_hash.",
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return codeErr(passwdFrom(cmd.InOrStdin(), args, cmd.OutOrStdout(), cmd.ErrOrStderr()))
		},
	}
}

// maxPassword bounds what is read from a pipe: a password, not a file.
const maxPassword = 1024

// passwdFrom reads the password from in: from the terminal without echo,
// typed twice, or the first line of a pipe; and prints its hash. pos are the
// positional arguments: there must be none.
func passwdFrom(in io.Reader, pos []string, stdout, stderr io.Writer) int {
	if len(pos) > 0 {
		fmt.Fprintln(stderr, "switchboard passwd: the password is read from the terminal or stdin, never from the command line (other users see it in ps)")
		return 2
	}
	pw, err := readPassword(in, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard passwd: %v\n", err)
		return 2
	}
	hash, err := passwd.Hash(pw)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard passwd: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, hash)
	return 0
}

func readPassword(in io.Reader, stderr io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return checkPassword(string(a))
	}
	line, err := bufio.NewReaderSize(io.LimitReader(in, maxPassword+2), maxPassword+2).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	return checkPassword(strings.TrimRight(line, "\r\n"))
}

func checkPassword(pw string) (string, error) {
	switch {
	case pw == "":
		return "", errors.New("empty password")
	case len(pw) > maxPassword:
		return "", fmt.Errorf("password longer than %d bytes", maxPassword)
	}
	return pw, nil
}
