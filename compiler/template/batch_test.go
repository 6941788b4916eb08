package template

import (
	"testing"
	"time"
)

// TestBatchValue renders dbt's model.batch as a dict: its id, its bounds
// as aware datetimes (printed with their offset, with datetime methods),
// its keys, items and get, a test of 'in', its truth and its Python
// text; each read tells onRead.
func TestBatchValue(t *testing.T) {
	e, l := NewEngine(nil)
	if l != nil {
		t.Fatal(l)
	}
	reads := 0
	start := time.Date(2024, 1, 3, 5, 0, 0, 0, time.UTC)
	b := BatchValue("20240103T05", start, start.Add(time.Hour), func() { reads++ })
	ctx, _ := ctxWith(nil)
	ctx.Model = func() map[string]any { return map[string]any{"name": "hourly", "batch": b} }
	src := `{{ model.batch.id }}|{{ model.batch.event_time_start }}|{{ model.batch['event_time_end'] }}|` +
		`{{ model.batch.event_time_start.strftime('%Y-%m-%d %H') }}|{{ model.batch.event_time_end.hour }}|` +
		`{{ model.batch.keys() | join(',') }}|{{ model.batch.get('id') }}|{{ model.batch.get('x', 'none') }}|` +
		`{{ 'id' in model.batch }}|{{ model.batch | length }}|{% if model.batch %}set{% endif %}|{{ model.batch is mapping }}|` +
		`{% for k, v in model.batch.items() %}{{ k }}={{ v }};{% endfor %}|{{ model.batch }}`
	out, dl := e.Render("models/hourly.sql", src, ctx)
	if dl != nil {
		t.Fatal(dl)
	}
	want := "20240103T05|2024-01-03 05:00:00+00:00|2024-01-03 06:00:00+00:00|2024-01-03 05|6|id,event_time_start,event_time_end|20240103T05|none|True|3|set|True|" +
		"id=20240103T05;event_time_start=2024-01-03 05:00:00+00:00;event_time_end=2024-01-03 06:00:00+00:00;|" +
		"{'id': '20240103T05', 'event_time_start': datetime.datetime(2024, 1, 3, 5, 0, tzinfo=<UTC>), 'event_time_end': datetime.datetime(2024, 1, 3, 6, 0, tzinfo=<UTC>)}"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if reads == 0 {
		t.Error("reading model.batch did not tell onRead")
	}
}
