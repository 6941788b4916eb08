package artifact

import (
	"fmt"
	"math"
	"reflect"
	"time"
)

// Plain returns v as plain JSON data: maps with string keys, slices,
// strings, numbers, booleans and nil (a time becomes its RFC 3339 text). Values of any other type (a
// template engine's dict, a NaN) become their fmt.Sprint text, so that one
// odd configuration value cannot make an artifact unwritable.
func Plain(v any) any {
	switch x := v.(type) {
	case nil, string, bool, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64:
		return x
	case time.Time:
		return x.Format(time.RFC3339Nano) // MarshalJSON fails outside years 0-9999
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprint(x)
		}
		return x
	case float32:
		return Plain(float64(x))
	case map[string]any:
		return PlainMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Plain(e)
		}
		return out
	case []string:
		return x
	case map[string]string:
		return x
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			out[fmt.Sprint(iter.Key().Interface())] = Plain(iter.Value().Interface())
		}
		return out
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = Plain(rv.Index(i).Interface())
		}
		return out
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint()
	case reflect.Float32, reflect.Float64:
		return Plain(rv.Float())
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
	}
	return fmt.Sprint(v)
}

// PlainMap is Plain for a map; nil gives an empty map (JSON {}).
func PlainMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = Plain(v)
	}
	return out
}
