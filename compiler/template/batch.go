package template

import (
	"fmt"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/jinja"
)

// batchObj is dbt's model.batch while a microbatch model renders for one
// of its batches: a dict of id, event_time_start and event_time_end, the
// two bounds aware datetimes (dbt's BatchContext keeps them datetimes in
// the model's to_dict). onRead is told each time a template reads it.
type batchObj struct {
	id         string
	start, end dateTime
	onRead     func()
}

// BatchValue returns dbt's model.batch for the batch [start, end) whose
// id is id (graph.BatchID): model.batch.id a str, event_time_start and
// event_time_end aware datetimes in the zone of start and end (UTC but
// for a batch_timezone). It reads as a dict (attributes, items, keys,
// get, in, iteration). onRead, when not nil, is told each time a
// template reads it (an attribute or item, its keys, its text), so that
// the compiler knows a model's SQL depends on its batch.
func BatchValue(id string, start, end time.Time, onRead func()) any {
	return &batchObj{id: id, start: dateTime{t: start, aware: true}, end: dateTime{t: end, aware: true}, onRead: onRead}
}

var batchKeys = []string{"id", "event_time_start", "event_time_end"}

func (b *batchObj) read() {
	if b.onRead != nil {
		b.onRead()
	}
}

func (b *batchObj) value(key string) (any, bool) {
	switch key {
	case "id":
		return b.id, true
	case "event_time_start":
		return b.start, true
	case "event_time_end":
		return b.end, true
	}
	return nil, false
}

// Attr returns a key's value, or the dict methods keys, values and items.
func (b *batchObj) Attr(name string) (any, bool) {
	b.read()
	if v, ok := b.value(name); ok {
		return v, true
	}
	switch name {
	case "keys":
		return jinja.Func(func(*jinja.Call) (any, error) { return jinja.FromGo(batchKeys), nil }), true
	case "values", "items":
		return jinja.Func(func(*jinja.Call) (any, error) {
			l := &jinja.List{}
			for _, k := range batchKeys {
				v, _ := b.value(k)
				if name == "items" {
					v = jinja.Tuple{k, v}
				}
				l.Items = append(l.Items, v)
			}
			return l, nil
		}), true
	}
	return nil, false
}

// Keys returns id, event_time_start and event_time_end.
func (b *batchObj) Keys() []string {
	b.read()
	return batchKeys
}

// Len is 3: the batch is true.
func (b *batchObj) Len() int { return len(batchKeys) }

// PyType is "dict", as dbt's model.batch (the node's to_dict()).
func (*batchObj) PyType() string { return "dict" }

// String is the dict's Python text: {'id': '20240101', 'event_time_start':
// datetime.datetime(2024, 1, 1, 0, 0, tzinfo=<UTC>), ...}.
func (b *batchObj) String() string {
	b.read()
	return fmt.Sprintf("{'id': '%s', 'event_time_start': %s, 'event_time_end': %s}", b.id, pyDatetimeRepr(b.start.t), pyDatetimeRepr(b.end.t))
}

// pyDatetimeRepr is Python's repr of an aware datetime:
// datetime.datetime(2024, 1, 1, 0, 0, tzinfo=<UTC>), the seconds and
// microseconds when not zero, the zone as pytz writes UTC (<UTC>) or, for
// another zone, its name.
func pyDatetimeRepr(t time.Time) string {
	parts := []string{fmt.Sprint(t.Year()), fmt.Sprint(int(t.Month())), fmt.Sprint(t.Day()), fmt.Sprint(t.Hour()), fmt.Sprint(t.Minute())}
	if us := t.Nanosecond() / 1000; us != 0 {
		parts = append(parts, fmt.Sprint(t.Second()), fmt.Sprint(us))
	} else if t.Second() != 0 {
		parts = append(parts, fmt.Sprint(t.Second()))
	}
	tz := "<UTC>"
	if name := t.Location().String(); name != "UTC" {
		tz = "<DstTzInfo '" + name + "'>"
	}
	return "datetime.datetime(" + strings.Join(parts, ", ") + ", tzinfo=" + tz + ")"
}
