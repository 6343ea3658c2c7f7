package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// verifyStandardWebhook checks a delivery the way a Standard Webhooks receiver library does,
// written here from the specification rather than with the sender's code: the secret is
// "whsec_" and base64 key bytes; the signed content is "id.timestamp.body"; the signature
// header is a space-separated list of "version,base64(HMAC-SHA256)", any v1 entry matching is
// enough; a timestamp more than five minutes from now is refused (replay protection).
func verifyStandardWebhook(secret string, h http.Header, body []byte, now time.Time) error {
	const tolerance = 5 * time.Minute
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: %v", ts, err)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("timestamp %s is %s from now", ts, d)
	}
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return errors.New("secret without whsec_ prefix")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return fmt.Errorf("secret: %v", err)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.", id, ts)
	mac.Write(body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, entry := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(entry, ",")
		if ok && version == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("no matching v1 signature")
}

// cloudEvent is a delivery's body as a CloudEvents consumer reads it.
type cloudEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject"`
	Time            string          `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Cursor          int64           `json:"cursor"`
	Data            json.RawMessage `json:"data"`
}

// delivery is one request a receiver accepted.
type delivery struct {
	id    string
	event cloudEvent
	body  []byte
}

// receiver is a real HTTP receiver on loopback. It verifies every request, answers as fail
// says (status 0 means 200; a sleep past the server's timeout makes that attempt time out),
// and records the accepted deliveries in arrival order.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	secret   string
	got      []delivery
	attempts map[string]int
	bad      []string
	fail     func(id string, attempt int) (status int, sleep time.Duration)
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, attempts: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = s
}

func (r *receiver) setFail(f func(id string, attempt int) (int, time.Duration)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = f
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	r.attempts[id]++
	n, fail, secret := r.attempts[id], r.fail, r.secret
	r.mu.Unlock()
	if err := verifyStandardWebhook(secret, req.Header, body, time.Now()); err != nil {
		r.record(func() { r.bad = append(r.bad, id+": "+err.Error()) })
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if ct := req.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/cloudevents+json") {
		r.record(func() { r.bad = append(r.bad, id+": content type "+ct) })
	}
	if fail != nil {
		status, sleep := fail(id, n)
		if sleep > 0 {
			select {
			case <-time.After(sleep):
			case <-req.Context().Done():
				return
			}
		}
		if status != 0 && status != http.StatusOK {
			w.WriteHeader(status)
			return
		}
	}
	var ev cloudEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		r.record(func() { r.bad = append(r.bad, id+": body "+err.Error()) })
	}
	r.record(func() { r.got = append(r.got, delivery{id: id, event: ev, body: body}) })
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) record(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
}

// deliveries returns what was accepted so far.
func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// unique counts the distinct webhook-ids accepted.
func (r *receiver) unique() int {
	seen := map[string]bool{}
	for _, d := range r.deliveries() {
		seen[d.id] = true
	}
	return len(seen)
}

// check fails the test on any request that did not verify.
func (r *receiver) check() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bad {
		r.t.Errorf("receiver: %s", b)
	}
}

// TestVerifierRefuses checks that the test's own verifier can fail: a wrong key, a stale
// timestamp and a tampered body are refused; a second, valid signature in the list passes.
func TestVerifierRefuses(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	body := []byte(`{"a":1}`)
	now := time.Now()
	sign := func(k []byte, ts int64, b []byte) string {
		mac := hmac.New(sha256.New, k)
		fmt.Fprintf(mac, "msg_1.%d.", ts)
		mac.Write(b)
		return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	h := func(ts int64, sig string) http.Header {
		return http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {strconv.FormatInt(ts, 10)}, "Webhook-Signature": {sig}}
	}
	ts := now.Unix()
	if err := verifyStandardWebhook(secret, h(ts, sign(key, ts, body)), body, now); err != nil {
		t.Fatalf("valid: %v", err)
	}
	if err := verifyStandardWebhook(secret, h(ts, sign([]byte("other"), ts, body)+" "+sign(key, ts, body)), body, now); err != nil {
		t.Fatalf("second of two signatures valid: %v", err)
	}
	for name, err := range map[string]error{
		"wrong key":    verifyStandardWebhook(secret, h(ts, sign([]byte("other"), ts, body)), body, now),
		"stale":        verifyStandardWebhook(secret, h(ts-400, sign(key, ts-400, body)), body, now),
		"future":       verifyStandardWebhook(secret, h(ts+400, sign(key, ts+400, body)), body, now),
		"tampered":     verifyStandardWebhook(secret, h(ts, sign(key, ts, body)), []byte(`{"a":2}`), now),
		"v2 only":      verifyStandardWebhook(secret, h(ts, "v2,"+strings.TrimPrefix(sign(key, ts, body), "v1,")), body, now),
		"no signature": verifyStandardWebhook(secret, h(ts, ""), body, now),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// checkPayloads validates every accepted body against the document's schema name.
func checkPayloads(t *testing.T, rcv *receiver, name string) {
	t.Helper()
	doc := loadOpenAPI(t)
	// The schema as the document's top-level webhooks section gives it for the POST's body.
	var ref *openapi3.SchemaRef
	for _, item := range doc.Webhooks {
		if op := item.Post; op != nil && op.RequestBody != nil && op.RequestBody.Value != nil {
			if mt := op.RequestBody.Value.Content.Get("application/cloudevents+json"); mt != nil && mt.Schema != nil &&
				mt.Schema.Ref == "#/components/schemas/"+name {
				ref = mt.Schema
			}
		}
	}
	if ref == nil || ref.Value == nil {
		t.Fatalf("api/openapi.yaml has no webhook whose body is %s", name)
	}
	for _, d := range rcv.deliveries() {
		var v any
		if err := json.Unmarshal(d.body, &v); err != nil {
			t.Fatal(err)
		}
		if err := ref.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			t.Fatalf("a delivery does not match %s: %v\n%s", name, err, d.body)
		}
	}
}
