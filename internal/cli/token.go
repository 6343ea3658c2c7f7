package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/intentrt/intentrt/internal/auth"
)

func runToken(args []string, getenv Env, stdout, stderr io.Writer) error {
	fs := newFlagSet("token", stderr)
	id := fs.String("client-id", envString(getenv, "client-id", ""), "the app's clientId (env INTENTRT_CLIENT_ID)")
	secret := fs.String("client-secret", envString(getenv, "client-secret", ""), "the app's clientSecret (env INTENTRT_CLIENT_SECRET, to keep it out of shell history)")
	alg := fs.String("alg", "HS256", "signing algorithm: HS256 or HS512")
	ttl := fs.Duration("ttl", time.Hour, "lifetime (exp = now + ttl); 0 for a token without exp")
	jti := fs.Bool("jti", false, "add a random jti (required by enforce-JTI apps)")
	sub := fs.String("sub", "", "optional sub claim")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" || *secret == "" {
		return &usageError{"token: --client-id and --client-secret are required"}
	}
	tok, err := auth.Mint(*id, *secret, auth.MintOptions{Alg: *alg, TTL: *ttl, JTI: *jti, Subject: *sub})
	if err != nil {
		return &usageError{"token: " + err.Error()}
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
