package dashboard_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// do runs browser actions as one step of a scenario, failing the test with the step's name.
func do(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("%s: %v", step, time.Since(start).Round(time.Millisecond)) }()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second) // one stuck step must not eat the whole budget
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) and returns its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// css selects the first element matching a CSS selector.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// waitFor polls a JavaScript condition until it holds, up to limit.
func waitFor(cond string, limit time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		deadline := time.Now().Add(limit)
		for {
			ok, err := chromedp.Evaluate[bool](cond)(ctx, tg)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("not true within %v: %s", limit, cond)
			}
			time.Sleep(25 * time.Millisecond)
		}
	})
}

// waitText waits until the element's text contains want.
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	return waitFor(fmt.Sprintf(`(document.querySelector(%s)?.textContent || '').includes(%s)`,
		strconv.Quote(sel), strconv.Quote(want)), 10*time.Second)
}

// save writes a screenshot of the viewport to screenshotDir.
func save(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
