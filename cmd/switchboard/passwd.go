package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"switchboard/internal/passwd"
)

func runPasswd(args []string, stdout, stderr io.Writer) int {
	return passwdFrom(os.Stdin, args, stdout, stderr)
}

// maxPassword bounds what is read from a pipe: a password, not a file.
const maxPassword = 1024

// passwdFrom reads the password from in: from the terminal without echo,
// typed twice, or the first line of a pipe; and prints its hash.
func passwdFrom(in io.Reader, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("passwd", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: switchboard passwd < password-file\n\nReads a password (from the terminal without echo, or the first line of stdin)\nand prints its argon2id hash for mqtt.embedded.users[].password_hash.")
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() > 0 {
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
