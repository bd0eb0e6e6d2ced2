package main

import "context"

type scaleResult struct{}

func (s *scaleResult) markdown(w func(string, ...any)) {}

func (e *environment) scale(ctx context.Context) (*scaleResult, error) { return nil, nil }
