package analytics

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/intentrt/intentrt/internal/session"
)

// MarshalJSON writes the summary with exactly the keys of docs/api.md §6, in its order.
func (s *Summary) MarshalJSON() ([]byte, error) { return s.AppendJSON(nil), nil }

// AppendJSON appends the summary's JSON to b.
func (s *Summary) AppendJSON(b []byte) []byte {
	b = append(b, `{"from":"`...)
	b = AppendTime(b, s.From, s.Location)
	b = append(b, `","to":"`...)
	b = AppendTime(b, s.To, s.Location)
	b = append(b, `","bucket":`...)
	b = appendString(b, string(s.Bucket))
	b = append(b, `,"timezone":`...)
	b = appendString(b, s.Zone)
	b = append(b, `,"totals":`...)
	b = appendFigures(b, &s.Totals)
	b = append(b, `,"previous":`...)
	b = appendFigures(b, &s.Previous)
	b = append(b, `,"intents":[`...)
	for i := range s.Intents {
		b = appendNamed(b, i, "intent", &s.Intents[i])
	}
	b = append(b, `],"channels":[`...)
	for i := range s.Channels {
		b = appendNamed(b, i, "channel", &s.Channels[i])
	}
	b = append(b, `],"deflectedTo":[`...)
	for i, d := range s.DeflectedTo {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"channel":`...)
		b = appendString(b, d.Channel)
		b = append(b, `,"sessions":`...)
		b = strconv.AppendInt(b, d.Sessions, 10)
		b = append(b, '}')
	}
	b = append(b, `],"series":[`...)
	for i := range s.Series {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"start":"`...)
		b = AppendTime(b, s.Series[i].Start, s.Location)
		b = append(b, '"', ',')
		b = appendFigureFields(b, &s.Series[i].Figures)
	}
	b = append(b, `],"inProgress":`...)
	b = strconv.AppendInt(b, s.InProgress, 10)
	b = append(b, `,"asOf":"`...)
	b = append(b, session.FormatTime(s.AsOf)...)
	return append(b, `"}`...)
}

func appendNamed(b []byte, i int, key string, n *Named) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	b = append(b, '{', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	b = appendString(b, n.Name)
	b = append(b, ',')
	return appendFigureFields(b, &n.Figures)
}

func appendFigures(b []byte, f *Figures) []byte {
	return appendFigureFields(append(b, '{'), f)
}

// appendFigureFields appends the figure keys in their documented order and closes the object.
func appendFigureFields(b []byte, f *Figures) []byte {
	for _, c := range [...]struct {
		key string
		n   int64
	}{{`"sessions":`, f.Sessions}, {`,"completed":`, f.Completed}, {`,"Dropoff":`, f.Dropoff},
		{`,"agentTransfer":`, f.AgentTransfer}, {`,"error":`, f.Error}, {`,"deflected":`, f.Deflected},
		{`,"noIntent":`, f.NoIntent}} {
		b = append(b, c.key...)
		b = strconv.AppendInt(b, c.n, 10)
	}
	for _, c := range [...]struct {
		key string
		x   float64
	}{{`,"containmentRate":`, f.Rate(f.Completed)}, {`,"dropoffRate":`, f.Rate(f.Dropoff)},
		{`,"transferRate":`, f.Rate(f.AgentTransfer)}, {`,"errorRate":`, f.Rate(f.Error)},
		{`,"deflectionRate":`, f.Rate(f.Deflected)}, {`,"timeHandled":{"avg":`, f.HandledAvg},
		{`,"p50":`, f.HandledP50}, {`,"p90":`, f.HandledP90}} {
		b = append(b, c.key...)
		b = appendFloat(b, c.x)
	}
	return append(b, '}', '}')
}

// appendFloat writes x the way encoding/json does: shortest digits that read back as x.
func appendFloat(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(b, '0')
	}
	format := byte('f')
	if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, x, format, -1, 64)
	if format == 'e' { // clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
