package analytics_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
	"github.com/intentrt/intentrt/internal/analytics/analyticstest"
)

func ptr[T any](v T) *T { return &v }

func resolve(t *testing.T, from, to, bucket, zone string) *analytics.Request {
	t.Helper()
	b := analytics.Body{From: &from, To: &to, Bucket: &bucket, Timezone: &zone}
	req, err := b.Resolve(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func starts(req *analytics.Request) []string {
	var out []string
	for _, e := range req.Edges {
		out = append(out, string(analytics.AppendTime(nil, e, req.Location)))
	}
	return out
}

func TestWindowEdges(t *testing.T) {
	for _, c := range []struct {
		name, from, to, bucket, zone string
		want                         []string // every edge, the window's to last
	}{
		{"Berlin spring day is 23 h", "2026-03-29T10:00:00Z", "2026-03-29T11:00:00Z", "1d", "Europe/Berlin",
			[]string{"2026-03-29T00:00:00.000+01:00", "2026-03-30T00:00:00.000+02:00"}},
		{"Berlin autumn day is 25 h", "2026-10-25T10:00:00Z", "2026-10-25T11:00:00Z", "1d", "Europe/Berlin",
			[]string{"2026-10-25T00:00:00.000+02:00", "2026-10-26T00:00:00.000+01:00"}},
		{"Berlin spring hours skip 02:00", "2026-03-29T00:00:00+01:00", "2026-03-29T04:30:00+02:00", "1h", "Europe/Berlin",
			[]string{"2026-03-29T00:00:00.000+01:00", "2026-03-29T01:00:00.000+01:00", "2026-03-29T03:00:00.000+02:00",
				"2026-03-29T04:00:00.000+02:00", "2026-03-29T05:00:00.000+02:00"}},
		{"Berlin autumn hours repeat 02:00", "2026-10-25T01:00:00+02:00", "2026-10-25T04:00:00+01:00", "1h", "Europe/Berlin",
			[]string{"2026-10-25T01:00:00.000+02:00", "2026-10-25T02:00:00.000+02:00", "2026-10-25T02:00:00.000+01:00",
				"2026-10-25T03:00:00.000+01:00", "2026-10-25T04:00:00.000+01:00"}},
		{"New York spring day", "2026-03-08T12:00:00Z", "2026-03-08T13:00:00Z", "1d", "America/New_York",
			[]string{"2026-03-08T00:00:00.000-05:00", "2026-03-09T00:00:00.000-04:00"}},
		{"New York autumn day", "2026-11-01T12:00:00Z", "2026-11-02T04:59:00Z", "1d", "America/New_York",
			[]string{"2026-11-01T00:00:00.000-04:00", "2026-11-02T00:00:00.000-05:00"}},
		{"Kolkata hours start at :30 UTC", "2026-11-30T10:10:00Z", "2026-11-30T12:00:00Z", "1h", "Asia/Kolkata",
			[]string{"2026-11-30T15:00:00.000+05:30", "2026-11-30T16:00:00.000+05:30", "2026-11-30T17:00:00.000+05:30",
				"2026-11-30T18:00:00.000+05:30"}},
		{"Kathmandu quarter hours", "2026-11-30T10:10:00Z", "2026-11-30T10:40:00Z", "15m", "Asia/Kathmandu",
			[]string{"2026-11-30T15:45:00.000+05:45", "2026-11-30T16:00:00.000+05:45", "2026-11-30T16:15:00.000+05:45",
				"2026-11-30T16:30:00.000+05:45"}},
		{"Kathmandu before 1986 was +05:30", "1985-06-01T10:10:00Z", "1985-06-01T10:40:00Z", "1h", "Asia/Kathmandu",
			[]string{"1985-06-01T15:00:00.000+05:30", "1985-06-01T16:00:00.000+05:30", "1985-06-01T17:00:00.000+05:30"}},
		{"Adelaide autumn", "2026-04-04T15:00:00Z", "2026-04-04T17:00:00Z", "1h", "Australia/Adelaide",
			[]string{"2026-04-05T01:00:00.000+10:30", "2026-04-05T02:00:00.000+10:30", "2026-04-05T02:00:00.000+09:30",
				"2026-04-05T03:00:00.000+09:30"}},
		{"Lord Howe autumn: 30-minute fall-back", "2026-04-05T00:00:00+11:00", "2026-04-05T04:00:00+10:30", "1h", "Australia/Lord_Howe",
			[]string{"2026-04-05T00:00:00.000+11:00", "2026-04-05T01:00:00.000+11:00", "2026-04-05T01:30:00.000+10:30",
				"2026-04-05T02:00:00.000+10:30", "2026-04-05T03:00:00.000+10:30", "2026-04-05T04:00:00.000+10:30"}},
		{"Lord Howe spring: 02:00 becomes 02:30", "2026-10-04T01:00:00+10:30", "2026-10-04T04:00:00+11:00", "1h", "Australia/Lord_Howe",
			[]string{"2026-10-04T01:00:00.000+10:30", "2026-10-04T02:30:00.000+11:00", "2026-10-04T03:00:00.000+11:00",
				"2026-10-04T04:00:00.000+11:00"}},
		{"Lord Howe day of 24.5 h", "2026-04-05T12:00:00+10:30", "2026-04-05T13:00:00+10:30", "1d", "Australia/Lord_Howe",
			[]string{"2026-04-05T00:00:00.000+11:00", "2026-04-06T00:00:00.000+10:30"}},
		{"Berlin local mean time", "1890-06-01T12:00:00Z", "1890-06-01T13:30:00Z", "1h", "Europe/Berlin",
			[]string{"1890-06-01T12:00:00.000+00:53", "1890-06-01T13:00:00.000+00:53", "1890-06-01T14:00:00.000+00:53",
				"1890-06-01T15:00:00.000+00:53"}},
		{"New York local mean time", "1880-06-01T12:00:00Z", "1880-06-01T12:10:00Z", "5m", "America/New_York",
			[]string{"1880-06-01T07:00:00.000-04:57", "1880-06-01T07:05:00.000-04:57", "1880-06-01T07:10:00.000-04:57", "1880-06-01T07:15:00.000-04:57"}},
		{"Samoa skipped 30 December 2011", "2011-12-29T12:00:00Z", "2011-12-30T12:00:00Z", "1d", "Pacific/Apia",
			[]string{"2011-12-29T00:00:00.000-10:00", "2011-12-31T00:00:00.000+14:00", "2012-01-01T00:00:00.000+14:00"}},
		{"Sao Paulo 2018: midnight skipped, the day starts at 01:00", "2018-11-04T12:00:00Z", "2018-11-04T13:00:00Z", "1d", "America/Sao_Paulo",
			[]string{"2018-11-04T01:00:00.000-02:00", "2018-11-05T00:00:00.000-02:00"}},
		{"Havana: midnight repeated, the day starts at the first", "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z", "1d", "America/Havana",
			[]string{"2026-11-01T00:00:00.000-04:00", "2026-11-02T00:00:00.000-05:00"}},
		{"Havana: its hours", "2026-11-01T03:30:00Z", "2026-11-01T06:30:00Z", "1h", "America/Havana",
			[]string{"2026-10-31T23:00:00.000-04:00", "2026-11-01T00:00:00.000-04:00", "2026-11-01T00:00:00.000-05:00",
				"2026-11-01T01:00:00.000-05:00", "2026-11-01T02:00:00.000-05:00"}},
		{"UTC minutes, widened", "2026-11-30T10:00:30Z", "2026-11-30T10:02:00.001Z", "1m", "UTC",
			[]string{"2026-11-30T10:00:00.000+00:00", "2026-11-30T10:01:00.000+00:00", "2026-11-30T10:02:00.000+00:00",
				"2026-11-30T10:03:00.000+00:00"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := resolve(t, c.from, c.to, c.bucket, c.zone)
			if got := starts(req); !slices.Equal(got, c.want) {
				t.Fatalf("edges\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestPreviousWindowHasAsManyBuckets(t *testing.T) {
	// The day after Berlin's 23-hour day: the previous window is that 23-hour day.
	req := resolve(t, "2026-03-30T00:00:00+02:00", "2026-03-31T00:00:00+02:00", "1d", "Europe/Berlin")
	if want := time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC); !req.PrevFrom.Equal(want) {
		t.Fatalf("prevFrom %s, want %s", req.PrevFrom, want)
	}
	req = resolve(t, "2026-11-30T10:00:00Z", "2026-11-30T13:00:00Z", "1h", "UTC")
	if want := time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC); !req.PrevFrom.Equal(want) {
		t.Fatalf("prevFrom %s, want %s", req.PrevFrom, want)
	}
}

// TestEdgeInvariants walks many windows in every zone and bucket: edges whole UTC minutes,
// strictly increasing, no sub-day bucket longer than its width, days between 22 and 26 hours
// (Samoa's missing day aside), and the previous window ending where the window starts.
func TestEdgeInvariants(t *testing.T) {
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide",
		"Australia/Lord_Howe", "America/St_Johns", "Pacific/Chatham", "Asia/Tehran", "America/Sao_Paulo", "Europe/Dublin", "America/Havana", "Pacific/Apia"}
	width := map[string]time.Duration{"1m": time.Minute, "5m": 5 * time.Minute, "15m": 15 * time.Minute, "1h": time.Hour, "1d": 25 * time.Hour}
	span := map[string]time.Duration{"1m": 20 * time.Hour, "5m": 4 * 24 * time.Hour, "15m": 15 * 24 * time.Hour, "1h": 60 * 24 * time.Hour, "1d": 1400 * 24 * time.Hour}
	for _, zone := range zones {
		for bucket, w := range width {
			for _, start := range []string{"1975-03-01T00:17:00Z", "2000-10-01T03:00:00Z", "2026-03-01T00:00:00Z", "2026-09-20T00:00:00Z"} {
				from, _ := time.Parse(time.RFC3339, start)
				to := from.Add(span[bucket])
				req := resolve(t, from.Format(time.RFC3339), to.Format(time.RFC3339), bucket, zone)
				all := req.Edges
				if req.From.After(from) || req.To.Before(to) {
					t.Fatalf("%s %s %s: window %s–%s does not cover %s–%s", zone, bucket, start, req.From, req.To, from, to)
				}
				for i, e := range all {
					if e.Second() != 0 || e.Nanosecond() != 0 {
						t.Fatalf("%s %s: edge %s not on a minute", zone, bucket, e)
					}
					if i == 0 {
						continue
					}
					d := e.Sub(all[i-1])
					if d <= 0 || d > w || (bucket == "1d" && d < 22*time.Hour && zone != "Pacific/Apia") {
						t.Fatalf("%s %s: bucket %s–%s lasts %s", zone, bucket, all[i-1], e, d)
					}
				}
			}
		}
	}
}

func TestResolveErrorsNameTheField(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		body  analytics.Body
		field string
	}{
		{"bad from", analytics.Body{From: ptr("yesterday")}, "from"},
		{"bad to", analytics.Body{To: ptr("2026-13-01T00:00:00Z")}, "to"},
		{"from after to", analytics.Body{From: ptr("2026-11-30T12:00:00Z"), To: ptr("2026-11-30T11:00:00Z")}, "from"},
		{"from equals to", analytics.Body{From: ptr("2026-11-30T12:00:00Z"), To: ptr("2026-11-30T12:00:00Z")}, "from"},
		{"from in the future, to defaulted", analytics.Body{From: ptr("2026-12-30T12:00:00Z")}, "from"},
		{"unknown bucket", analytics.Body{Bucket: ptr("2h")}, "bucket"},
		{"unknown zone", analytics.Body{Timezone: ptr("Mars/Olympus")}, "timezone"},
		{"Local is not a zone", analytics.Body{Timezone: ptr("Local")}, "timezone"},
		{"empty zone", analytics.Body{Timezone: ptr("")}, "timezone"},
		{"1501 buckets", analytics.Body{From: ptr("2026-11-29T00:00:00Z"), To: ptr("2026-11-30T01:01:00Z"), Bucket: ptr("1m")}, "from"},
		{"top 0", analytics.Body{Top: ptr(0)}, "top"},
		{"top 101", analytics.Body{Top: ptr(101)}, "top"},
		{"empty intent", analytics.Body{Intent: ptr(" ")}, "intent"},
		{"empty channel", analytics.Body{Channels: []string{""}}, "channels"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.body.Resolve(now)
			var fe *analytics.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("error %v, want one naming %q", err, c.field)
			}
		})
	}
}

func TestResolveDefaultsAndLimit(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 34, 56, 0, time.UTC)
	req, err := (&analytics.Body{}).Resolve(now)
	if err != nil {
		t.Fatal(err)
	}
	if req.Bucket != "1h" || req.Zone != "UTC" || req.Top != 10 || req.Buckets() != 25 ||
		!req.From.Equal(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)) || !req.To.Equal(time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC)) {
		t.Fatalf("defaults: %+v", req)
	}
	// Exactly 1 500 one-minute buckets pass.
	req, err = (&analytics.Body{From: ptr("2026-11-29T00:00:00Z"), To: ptr("2026-11-30T01:00:00Z"), Bucket: ptr("1m")}).Resolve(now)
	if err != nil || req.Buckets() != 1500 {
		t.Fatalf("1500 buckets: %v %v", req, err)
	}
	// Channels are lowercased, sorted and deduplicated; from without to counts back from now.
	req, err = (&analytics.Body{Channels: []string{"RTM", "korevg", "rtm"}}).Resolve(now)
	if err != nil || !slices.Equal(req.Channels, []string{"korevg", "rtm"}) {
		t.Fatalf("channels: %v %v", req.Channels, err)
	}
}

// TestEdgesMatchMinuteScan checks the edges against their definition, minute by minute, over
// random windows since 1970 (every offset a whole number of minutes), most around a change of
// offset: a minute starts a sub-day bucket when the wall clock is on a multiple of the width or
// the offset just changed, and a day when its local date is later than any before it.
func TestEdgesMatchMinuteScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	zones := append(slices.Clone(analyticstest.Zones), "Europe/Dublin", "America/Asuncion", "Antarctica/Troll")
	width := map[string]int64{"1m": 60, "5m": 300, "15m": 900, "1h": 3600}
	for range 2000 {
		zone := zones[rng.IntN(len(zones))]
		bucket := analytics.Buckets[rng.IntN(len(analytics.Buckets))]
		loc, _ := time.LoadLocation(zone)
		from := time.Unix(rng.Int64N(60*365*86400), 0).UTC()
		span := time.Duration(1+rng.IntN(300)) * time.Minute
		if bucket == "1d" {
			span = time.Duration(1+rng.IntN(5*24)) * time.Hour
		}
		if _, end := from.In(loc).ZoneBounds(); rng.IntN(4) > 0 && !end.IsZero() { // around a change of the zone
			from = end.Add(-time.Duration(rng.Int64N(int64(span)))).Truncate(time.Second)
		}
		to := from.Add(span)
		req := resolve(t, from.Format(time.RFC3339), to.Format(time.RFC3339), string(bucket), zone)
		var want []time.Time
		var latest time.Time // the latest local date seen so far, as midnight UTC
		for m := req.From.Add(-26 * time.Hour); !m.After(req.To); m = m.Add(time.Minute) {
			lt, pt := m.In(loc), m.Add(-time.Minute).In(loc)
			_, off := lt.Zone()
			_, poff := pt.Zone()
			var edge bool
			if bucket == "1d" {
				// A day starts at the first instant of its date: where the date passes every date
				// before it (a fall-back across midnight shows an earlier date again for a while).
				y, mo, d := lt.Date()
				date := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
				edge = date.After(latest) && !latest.IsZero()
				if date.After(latest) {
					latest = date
				}
			} else {
				wall := m.Unix() + int64(off)
				edge = off != poff || ((wall%width[string(bucket)])+width[string(bucket)])%width[string(bucket)] == 0
			}
			if edge && !m.Before(req.From) {
				want = append(want, m)
			}
		}
		if n := len(req.Edges); req.From.After(from) || !req.Edges[1].After(from) || req.To.Before(to) || !req.Edges[n-2].Before(to) {
			t.Fatalf("%s %s %s–%s: window %v is not the narrowest cover", zone, bucket, from, to, req.Edges)
		}
		if !slices.EqualFunc(req.Edges, want, time.Time.Equal) {
			t.Fatalf("%s %s %s–%s:\n got %v\nwant %v", zone, bucket, from, to, req.Edges, want)
		}
	}
}
