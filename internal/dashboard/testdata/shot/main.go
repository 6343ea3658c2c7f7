// Throwaway: sign in to a running demo and screenshot the page at a few widths.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

func main() {
	base, acct, client, secret, out := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	query := ""
	if len(os.Args) > 6 {
		query = os.Args[6]
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath("/usr/bin/chromium"), chromedp.NoSandbox, chromedp.WindowSize(1440, 1000))
	actx, c1 := chromedp.NewExecAllocator(context.Background(), opts...)
	defer c1()
	ctx, c2 := chromedp.NewContext(actx, chromedp.WithLogf(func(string, ...any) {}))
	defer c2()
	ctx, c3 := context.WithTimeout(ctx, 60*time.Second)
	defer c3()
	chromedp.Do(ctx)
	_ = chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			fmt.Println("exception:", e.ExceptionDetails.Text, e.ExceptionDetails.Exception.Description)
		case *runtime.EventConsoleAPICalled:
			for _, a := range e.Args {
				fmt.Println("console:", string(a.Value), a.Description)
			}
		}
	})
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"+query),
		chromedp.WaitVisible("#signin-form"),
		chromedp.SendKeys("#in-account", acct),
		chromedp.SendKeys("#in-client", client),
		chromedp.SendKeys("#in-secret", secret),
		chromedp.Click("#signin-submit"),
		chromedp.Sleep(3*time.Second),
	)
	if err != nil {
		panic(err)
	}
	for _, w := range []struct {
		name string
		w, h int64
		mob  bool
	}{{"desktop", 1440, 1000, false}, {"1280", 1280, 900, false}, {"phone", 390, 844, true}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w.w, w.h, chromedp.EmulateScale(map[bool]float64{true: 2, false: 1}[w.mob])), chromedp.Sleep(700*time.Millisecond)); err != nil {
			panic(err)
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			panic(err)
		}
		os.WriteFile(fmt.Sprintf("%s-%s.png", out, w.name), png, 0o644)
	}
	errs, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('app-error').textContent + ' | ' + document.getElementById('conn-text').textContent + ' | ' + location.search`))
	fmt.Println(errs)
}
