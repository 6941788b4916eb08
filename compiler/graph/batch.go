package graph

import "time"

// BatchStart returns the start of the batch of size (hour, day, month or
// year) holding t, in loc.
func BatchStart(t time.Time, size string, loc *time.Location) time.Time {
	t = t.In(loc)
	switch size {
	case "hour":
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, loc)
	case "day":
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	case "month":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	}
	return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, loc)
}

// NextBatch returns the start of the batch of size after the one
// starting at t.
func NextBatch(t time.Time, size string) time.Time {
	switch size {
	case "hour":
		return t.Add(time.Hour)
	case "day":
		return t.AddDate(0, 0, 1)
	case "month":
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(1, 0, 0)
}

// BatchID is dbt's model.batch.id of the batch of size starting at start
// (in its own zone): "20240917" ("%Y%m%d"), and for hours "20240917T16"
// ("%Y%m%dT%H"), as dbt's MicrobatchBuilder.batch_id formats it.
func BatchID(start time.Time, size string) string {
	if size == "hour" {
		return start.Format("20060102T15")
	}
	return start.Format("20060102")
}

// FirstBatch returns the first batch of b, [start, end): the one holding
// Begin.
func (b *BatchInfo) FirstBatch() (start, end time.Time) {
	start = BatchStart(b.Begin, b.Size, b.Location)
	return start, NextBatch(start, b.Size)
}
