package cli

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
)

// tokenFlags are the flags of "token".
type tokenFlags struct {
	id, secret, alg, sub string
	ttl                  time.Duration
	jti                  bool
}

func defineToken(fs *flag.FlagSet) *tokenFlags {
	var f tokenFlags
	fs.StringVar(&f.id, "client-id", "", "the app's clientId")
	fs.StringVar(&f.secret, "client-secret", "", "the app's clientSecret (INTENTRT_CLIENT_SECRET keeps it out of shell history)")
	fs.StringVar(&f.alg, "alg", "HS256", "signing algorithm: HS256 or HS512")
	fs.DurationVar(&f.ttl, "ttl", time.Hour, "lifetime (exp = now + ttl); 0 for a token without exp")
	fs.BoolVar(&f.jti, "jti", false, "add a random jti (required by enforce-JTI apps)")
	fs.StringVar(&f.sub, "sub", "", "optional sub claim")
	return &f
}

func runToken(args []string, getenv Env, stdout, stderr io.Writer) error {
	fs := newFlagSet("token", stderr)
	f := defineToken(fs)
	if err := parse(fs, args, getenv); err != nil {
		return err
	}
	if f.id == "" || f.secret == "" {
		return &usageError{"token: --client-id and --client-secret are required"}
	}
	tok, err := auth.Mint(f.id, f.secret, auth.MintOptions{Alg: f.alg, TTL: f.ttl, JTI: f.jti, Subject: f.sub})
	if err != nil {
		return &usageError{"token: " + err.Error()}
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
