package diag

import (
	"fmt"
	"sort"
	"strings"
)

// The names of dbt's events for the warnings kiln emits (dbt-core's
// events/types.py), and KilnNote, kiln's name for its own notes
// (Diagnostic.KilnOnly), which dbt does not emit.
const (
	EventNoNodes           = "NoNodesForSelectionCriteria" // a selector matches nothing
	EventNothingToDo       = "NothingToDo"                 // the selection holds no node the command runs
	EventTestResult        = "LogTestResult"               // a data test (or gate) that warns
	EventDeprecatedModel   = "DeprecatedModel"             // a model past its deprecation_date
	EventDeprecatedRef     = "DeprecatedReference"         // a ref to a model past its deprecation_date
	EventUpcomingRef       = "UpcomingReferenceDeprecation"
	EventCustomKeyInConfig = "CustomKeyInConfigDeprecation" // a config key of the project's own
	EventUnusedConfigPath  = "UnusedResourceConfigPath"     // a project.yml config path that matches no node
	EventNoNodeForYamlKey  = "NoNodeForYamlKey"             // properties for a node that does not exist
	EventKilnNote          = "KilnNote"
)

// Events are the event names that warn_error_options may name, sorted.
var Events = []string{EventCustomKeyInConfig, EventDeprecatedModel, EventDeprecatedRef, EventKilnNote, EventTestResult,
	EventNoNodes, EventNoNodeForYamlKey, EventUnusedConfigPath, EventUpcomingRef}

func init() { sort.Strings(Events) }

// WarnOptions is dbt's warn_error_options (--warn-error-options, or
// flags: warn_error_options: in the project file): the warnings made
// errors (error:, or include:, "all" or a list of event names), those
// kept warnings (warn: or exclude:, which win over error:) and those not
// printed (silence:). A warning of kiln's own (KilnOnly) is made an error
// only when its event (KilnNote) is named in error:, never by "all", as
// --warn-error leaves it.
type WarnOptions struct {
	ErrorAll             bool
	Error, Warn, Silence map[string]bool
}

// ParseWarnOptions reads v, a decoded YAML or JSON mapping, as dbt
// reads warn_error_options. The error names the key or event at fault:
// an unknown key, a value that is neither "all"/"*" nor a list of names,
// both error: and include: (or warn: and exclude:), an unknown event
// (with the known ones, as dbt validates the names).
func ParseWarnOptions(v any) (*WarnOptions, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("warn_error_options must be a mapping such as {\"error\": \"all\", \"warn\": [\"NoNodesForSelectionCriteria\"]}")
	}
	o := &WarnOptions{Error: map[string]bool{}, Warn: map[string]bool{}, Silence: map[string]bool{}}
	seen := map[string]string{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var set map[string]bool
		switch k {
		case "error", "include":
			set = o.Error
		case "warn", "exclude":
			set = o.Warn
		case "silence":
			set = o.Silence
		default:
			return nil, fmt.Errorf("warn_error_options has an unknown key %q: it takes error (or include), warn (or exclude) and silence", k)
		}
		if prev, dup := seen[fmt.Sprintf("%p", set)]; dup {
			return nil, fmt.Errorf("warn_error_options has both %q and %q, two names of one key: keep one", prev, k)
		}
		seen[fmt.Sprintf("%p", set)] = k
		switch x := m[k].(type) {
		case nil:
		case string:
			if (x != "all" && x != "*") || k == "silence" {
				return nil, fmt.Errorf("warn_error_options %s is %q: write \"all\" (error and warn only) or a list of event names", k, x)
			}
			if k == "error" || k == "include" {
				o.ErrorAll = true
			}
			// warn: all keeps every warning a warning.
			for _, e := range Events {
				if k == "warn" || k == "exclude" {
					set[e] = true
				}
			}
		case []any:
			for _, e := range x {
				name, _ := e.(string)
				if name == "all" || name == "*" {
					if k == "error" || k == "include" {
						o.ErrorAll = true
						continue
					}
				}
				if !knownEvent(name) {
					return nil, fmt.Errorf("warn_error_options %s names %v, not an event kiln emits; the known events are %s", k, e, strings.Join(Events, ", "))
				}
				set[name] = true
			}
		default:
			return nil, fmt.Errorf("warn_error_options %s must be \"all\" or a list of event names, not %v", k, x)
		}
	}
	if o.Silence[EventTestResult] {
		return nil, fmt.Errorf("warn_error_options silence names %s: not supported yet (a test that warns is a result, printed and in run_results.json)", EventTestResult)
	}
	return o, nil
}

func knownEvent(name string) bool {
	for _, e := range Events {
		if e == name {
			return true
		}
	}
	return false
}

// Promotes reports whether o makes a warning of event (kilnOnly: kiln's
// own note) an error.
func (o *WarnOptions) Promotes(event string, kilnOnly bool) bool {
	if o == nil {
		return false
	}
	if kilnOnly {
		return (o.Error[EventKilnNote] || (event != "" && o.Error[event])) && !o.Warn[EventKilnNote]
	}
	return (o.ErrorAll || (event != "" && o.Error[event])) && !(event != "" && o.Warn[event])
}

// Silences reports whether o hides a warning of event (kilnOnly: kiln's
// own note, KilnNote).
func (o *WarnOptions) Silences(event string, kilnOnly bool) bool {
	if o == nil {
		return false
	}
	return (event != "" && o.Silence[event]) || (kilnOnly && o.Silence[EventKilnNote])
}

// Apply returns l with the warnings o promotes made errors that say so
// (why: "an error with --warn-error-options"), and those it silences
// left out.
func (o *WarnOptions) Apply(l List, why string) List {
	out := make(List, 0, len(l))
	for _, d := range l {
		if d.Severity == Warning {
			switch {
			case o.Promotes(d.Event, d.KilnOnly):
				d.Severity = Error
				d.Msg += " (" + why + ")"
			case o.Silences(d.Event, d.KilnOnly):
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// AllWarnings is --warn-error as WarnOptions: every warning of dbt's an
// error, kiln's own notes left warnings.
func AllWarnings() *WarnOptions {
	return &WarnOptions{ErrorAll: true, Error: map[string]bool{}, Warn: map[string]bool{}, Silence: map[string]bool{}}
}

// Args returns o as ParseWarnOptions reads it: {"error": "all" or the
// names, "warn": [...], "silence": [...]}, names sorted (run_results.json's
// args, which kiln retry reads back).
func (o *WarnOptions) Args() map[string]any {
	names := func(set map[string]bool) []string {
		out := []string{}
		for k := range set {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	var errs any = names(o.Error)
	if o.ErrorAll {
		errs = "all"
	}
	return map[string]any{"error": errs, "warn": names(o.Warn), "silence": names(o.Silence)}
}
