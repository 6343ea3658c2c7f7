package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/intentrt/intentrt/internal/store/postgres/pgtest"
	"github.com/intentrt/intentrt/internal/testserver"
)

// natsEnv is a JetStream of the test's own on the shared NATS server: a stream, subject prefix
// and durable consumer no other test uses, deleted when the test ends.
type natsEnv struct {
	js     jetstream.JetStream
	stream string
	prefix string
}

// newNATSEnv skips without INTENTRT_TEST_NATS and fails when it is set but unreachable.
func newNATSEnv(t *testing.T) (natsEnv, string) {
	t.Helper()
	url := os.Getenv("INTENTRT_TEST_NATS")
	if url == "" {
		t.Skip("INTENTRT_TEST_NATS is not set (e.g. nats://127.0.0.1:4222): skipping the NATS JetStream tests")
	}
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("INTENTRT_TEST_NATS=%s is set but NATS cannot be reached: %v", url, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	env := natsEnv{js: js, stream: "INTENTRT_T_" + strings.ToUpper(id), prefix: "intentrt_t_" + id + ".events"}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = js.DeleteStream(ctx, env.stream)
	})
	return env, url
}

// args are the serve flags that point a node at the test's stream.
func (e natsEnv) args(url string) []string {
	return []string{"--nats", url, "--nats-stream", e.stream, "--nats-prefix", e.prefix, "--nats-durable", "intentrt_t"}
}

// waitStream waits until the server has created its stream (it does so in the background).
func (e natsEnv) waitStream(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := e.js.Consumer(ctx, e.stream, "intentrt_t")
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not create stream %s and its consumer: %v", e.stream, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// publish sends data to <prefix>.<tail> and waits for the stream to store it.
func (e natsEnv) publish(t *testing.T, tail, data string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.js.Publish(ctx, e.prefix+"."+tail, []byte(data)); err != nil {
		t.Fatalf("publish to %s: %v", tail, err)
	}
}

// metricValue reads one sample of the server's /metrics; 0 when absent.
func metricValue(t *testing.T, s *testserver.Server, series string) float64 {
	t.Helper()
	resp, body := s.Do(t, http.MethodGet, "/metrics", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics: %d", resp.StatusCode)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// waitFor polls cond until it holds or the generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestNATSIngest publishes events to JetStream and reads the sessions through the API; malformed
// messages are terminated and counted, and do not hold up the messages after them.
func TestNATSIngest(t *testing.T) {
	env, url := newNATSEnv(t)
	s := testserver.Start(t, env.args(url)...)
	const account, bot = "acct-nats", "st-nats"
	app := s.CreateApp(t, testserver.AppSpec{Account: account})
	tok := app.Token(t)
	env.waitStream(t)

	env.publish(t, account+"."+bot, "["+scaleEvents("n", 0)+"]")                                              // an array
	env.publish(t, account+"."+bot, `{"this is":"not an event"}`)                                             // invalid event
	env.publish(t, account+"."+bot, `[{"type":"session.started",`)                                            // not JSON
	env.publish(t, account, "["+scaleEvents("n", 1)+"]")                                                      // no bot in the subject
	env.publish(t, account+"."+bot, "["+scaleEvents("n", 2)+"]")                                              // after the bad ones
	env.publish(t, account+"."+bot, strings.Split(scaleEvents("n", 3), ",\n")[0])                             // one event alone...
	env.publish(t, account+"."+bot, "["+strings.Join(strings.Split(scaleEvents("n", 3), ",\n")[1:], ",")+"]") // ...then the rest
	env.publish(t, account+"."+bot, "["+scaleEvents("n", 0)+"]")                                              // a redelivered duplicate

	waitFor(t, "three sessions through NATS", func() bool {
		got, code := scaleRead(t, s, tok, account, bot, 0, 10)
		return code == http.StatusOK && len(got) == 3
	})
	got, _ := scaleRead(t, s, tok, account, bot, 0, 10)
	for _, i := range []int{0, 2, 3} {
		ks, ok := got[fmt.Sprintf("n-%05d", i)]
		if !ok || len(ks.Intent) != 1 || ks.Intent[0] != fmt.Sprintf("Intent %d", i) || ks.Channel != "korevg" {
			t.Fatalf("session %d through NATS: %+v (found %v)", i, ks, ok)
		}
	}
	if _, ok := got["n-00001"]; ok {
		t.Fatal("a message on a subject without a bot was applied")
	}
	waitFor(t, "the metrics to count every message", func() bool {
		return metricValue(t, s, `intentrt_nats_messages_total{outcome="committed"}`) == 5 &&
			metricValue(t, s, `intentrt_nats_messages_total{outcome="invalid"}`) == 3
	})
	if d := metricValue(t, s, `intentrt_ingest_events_total{outcome="duplicate",source="nats"}`); d != 3 {
		t.Fatalf("duplicates counted: %v, want 3", d)
	}
	// Terminated messages are never redelivered: the consumer has nothing pending or unacked.
	waitFor(t, "the consumer to settle every message", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := env.js.Consumer(ctx, env.stream, "intentrt_t")
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0
	})
}

// TestNATSSharedConsumer runs two nodes on one PostgreSQL database and one durable consumer:
// every message is applied once, whichever node takes it.
func TestNATSSharedConsumer(t *testing.T) {
	env, url := newNATSEnv(t)
	dsn := pgtest.DSN(t)
	a := testserver.StartDB(t, dsn, env.args(url)...)
	b := testserver.StartDB(t, dsn, env.args(url)...)
	const account, bot = "acct-nats2", "st-nats2"
	app := a.CreateApp(t, testserver.AppSpec{Account: account})
	tok := app.Token(t)
	env.waitStream(t)
	const n = 60
	for i := range n {
		env.publish(t, account+"."+bot, "["+scaleEvents("sh", i)+"]")
	}
	waitFor(t, "every message committed by one of the nodes", func() bool {
		return metricValue(t, a, `intentrt_nats_messages_total{outcome="committed"}`)+
			metricValue(t, b, `intentrt_nats_messages_total{outcome="committed"}`) == n
	})
	accepted := metricValue(t, a, `intentrt_ingest_events_total{outcome="accepted",source="nats"}`) +
		metricValue(t, b, `intentrt_ingest_events_total{outcome="accepted",source="nats"}`)
	dups := metricValue(t, a, `intentrt_ingest_events_total{outcome="duplicate",source="nats"}`) +
		metricValue(t, b, `intentrt_ingest_events_total{outcome="duplicate",source="nats"}`)
	if accepted != 3*n || dups != 0 {
		t.Fatalf("accepted %v duplicates %v: each message must be applied once", accepted, dups)
	}
	got, code := scaleRead(t, b, tok, account, bot, 0, 100)
	if code != http.StatusOK || len(got) != n {
		t.Fatalf("read through B: %d sessions (status %d), want %d", len(got), code, n)
	}
}

// startNATSServer runs a NATS server with JetStream of the test's own on port (0: a free one),
// storing into dir, so that the test can stop it without disturbing the shared one.
func startNATSServer(t *testing.T, bin string, port int, dir string) (*exec.Cmd, int) {
	t.Helper()
	if port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	waitFor(t, "the private NATS server to listen", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return cmd, port
}

// TestNATSReconnect stops NATS under a running node: HTTP ingest is unaffected, and once NATS is
// back the consumer picks up again by itself. It uses a NATS server of its own (and so the
// contract's default stream and subjects), never the shared one.
func TestNATSReconnect(t *testing.T) {
	if _, url := newNATSEnv(t); url == "" {
		return
	}
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/nats-server"); err != nil {
			t.Skip("nats-server is not installed: cannot run a NATS server of the test's own")
		}
	}
	dir := t.TempDir()
	natsd, port := startNATSServer(t, bin, 0, dir)
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	s := testserver.Start(t, "--nats", url)
	const account, bot = "acct-nr", "st-nr"
	app := s.CreateApp(t, testserver.AppSpec{Account: account})
	tok := app.Token(t)

	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	env := natsEnv{js: js, stream: "INTENTRT_EVENTS", prefix: "intentrt.events"}
	waitFor(t, "the stream and consumer of the contract's names", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := js.Consumer(ctx, "INTENTRT_EVENTS", "intentrt")
		return err == nil
	})
	env.publish(t, account+"."+bot, "["+scaleEvents("r", 0)+"]")
	waitFor(t, "the first session through NATS", func() bool {
		got, _ := scaleRead(t, s, tok, account, bot, 0, 10)
		return len(got) == 1
	})

	if err := natsd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = natsd.Wait()
	// NATS is down: HTTP ingest and reads go on.
	if acc, _ := s.Ingest(t, tok, account, bot, "["+scaleEvents("r", 1)+"]"); acc != 3 {
		t.Fatalf("HTTP ingest with NATS down accepted %d", acc)
	}
	if resp, _ := s.Do(t, http.MethodGet, "/readyz", nil, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz with NATS down: %d", resp.StatusCode)
	}

	startNATSServer(t, bin, port, dir) // back, on the same port and storage
	env.publish(t, account+"."+bot, "["+scaleEvents("r", 2)+"]")
	waitFor(t, "the consumer to reconnect and commit the message sent after the restart", func() bool {
		got, _ := scaleRead(t, s, tok, account, bot, 0, 10)
		return len(got) == 3
	})
}
