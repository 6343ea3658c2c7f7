package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/intentrt/intentrt/internal/buildinfo"
)

// ContentType is the CloudEvents structured mode's media type: the whole event is the body.
const ContentType = "application/cloudevents+json; charset=utf-8"

// userAgent names the sender and its version to receivers.
var userAgent = "intentrt-webhooks/" + buildinfo.Read().Version

// attempt sends m once. Any 2xx is success; anything else, a 3xx included, is a failure whose
// error names the status but never the response body (a receiver may echo personal data).
func (w *worker) attempt(ctx context.Context, m Message) error {
	ts := time.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.hook.URL, bytes.NewReader(m.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(HeaderID, m.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(w.key, m.ID, ts, m.Body))
	resp, err := w.client.Do(req)
	if err != nil {
		// The *url.Error repeats the URL, which may hold a token of the receiver's: drop it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) || (ue != nil && ue.Timeout()) {
			return fmt.Errorf("timeout after %s", w.d.o.Timeout)
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
