// Package summary answers the real-time summary (docs/api.md §6) for whoever asks: the public
// API's route and the dashboard's page call the same Service, so both show the same figures.
// It strings together the domain (internal/analytics: the request, its window, the assembly)
// and the store's aggregates; it knows no HTTP and no SQL.
package summary

import (
	"context"
	"fmt"
	"time"

	"github.com/intentrt/intentrt/internal/analytics"
)

// Source is what a summary is read from: the store's per-minute aggregates and its count of
// sessions in progress (store.Summaries).
type Source interface {
	AggregateRows(ctx context.Context, account, bot string, req *analytics.Request) ([]analytics.Row, error)
	InProgress(ctx context.Context, account, bot string, channels []string, since time.Time) (int64, error)
}

// Service computes summaries from a Source.
type Service struct {
	Source Source
}

// Summarize resolves body against now and builds the summary of the bot's figures. A body that
// does not validate returns an *analytics.FieldError (a 400 naming the field); any other error
// is the store's.
func (s *Service) Summarize(ctx context.Context, account, bot string, body analytics.Body, now time.Time) (analytics.Summary, error) {
	req, err := body.Resolve(now)
	if err != nil {
		return analytics.Summary{}, err
	}
	rows, err := s.Source.AggregateRows(ctx, account, bot, req)
	if err != nil {
		return analytics.Summary{}, fmt.Errorf("read aggregates: %w", err)
	}
	inProgress, err := s.Source.InProgress(ctx, account, bot, req.Channels, analytics.InProgressSince(now))
	if err != nil {
		return analytics.Summary{}, fmt.Errorf("count sessions in progress: %w", err)
	}
	sum, err := analytics.Summarize(req, rows, inProgress, now)
	if err != nil {
		return analytics.Summary{}, fmt.Errorf("summarize: %w", err)
	}
	return sum, nil
}
