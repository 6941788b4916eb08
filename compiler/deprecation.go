package compiler

import (
	"fmt"
	"time"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/graph"
)

// deprecationLayouts are the forms of a deprecation_date kiln reads, as
// dbt's (a YAML date or datetime; ISO 8601): with an offset, else in the
// local time zone.
var deprecationLayouts = []struct {
	layout string
	zoned  bool
}{
	{time.RFC3339Nano, true}, {"2006-01-02 15:04:05Z07:00", true}, {"2006-01-02T15:04:05", false},
	{"2006-01-02 15:04:05", false}, {"2006-01-02T15:04", false}, {"2006-01-02", false},
}

// parseDeprecation reads s, a deprecation_date, as dbt's normalize_date
// does: a date is its midnight, a naive date or time is in the local
// time zone. ok is false when s is none of deprecationLayouts.
func parseDeprecation(s string) (t time.Time, ok bool) {
	for _, l := range deprecationLayouts {
		var err error
		if l.zoned {
			t, err = time.Parse(l.layout, s)
		} else {
			t, err = time.ParseInLocation(l.layout, s, time.Local)
		}
		if err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// isoformat is t as Python's datetime.isoformat() writes an aware
// datetime (dbt's manifest and its messages): microseconds only when
// not zero, the offset as +HH:MM.
func isoformat(t time.Time) string {
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000-07:00")
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}

// checkDeprecations sets each model's DeprecationDate from its
// properties (a version's deprecation_date, else its model's) and warns
// as dbt does (ManifestLoader.check_for_model_deprecations): a model past
// its date (DeprecatedModel), and each ref() to a model with a date from
// another model, at the ref: DeprecatedReference when the date is past
// (at the invocation's start), UpcomingReferenceDeprecation before it.
// A date kiln cannot read is an error at the model's properties.
func (c *compiler) checkDeprecations() {
	now, err := time.Parse(time.RFC3339Nano, c.opts.StartedAt)
	if err != nil {
		now = time.Now()
	}
	dates := map[graph.ID]time.Time{}
	for _, id := range c.ids() {
		n := c.nodes[id]
		if n.Kind != graph.Model {
			continue
		}
		mp, file := c.nodeProps(n)
		if vm := c.versioned[n.Name]; n.Version != "" && vm != nil && vm.merged[n.Version] != nil && n.Package == c.name {
			mp, file = vm.merged[n.Version], vm.propsFile
		}
		if mp == nil || mp.Deprecation == "" {
			continue
		}
		pos := mp.Pos(file)
		t, ok := parseDeprecation(mp.Deprecation)
		if !ok {
			d := diag.Errorf(pos, "model %q has deprecation_date %q, which is not a date", n.Name, mp.Deprecation)
			d.Hint = "write a date or a time in ISO 8601: 2025-06-30, or 2025-06-30T12:00:00+02:00"
			c.diags.Add(d)
			continue
		}
		n.DeprecationDate = isoformat(t)
		dates[n.ID] = t
		if t.Before(now) {
			c.diags.Add(diag.Diagnostic{Pos: pos, Severity: diag.Warning, Event: diag.EventDeprecatedModel,
				Msg: fmt.Sprintf("Model %s%s has passed its deprecation date of %s. This model should be disabled or removed.", n.Name, versionSuffix(n.Version), n.DeprecationDate)})
		}
	}
	if len(dates) == 0 {
		return
	}
	for _, id := range c.ids() {
		child := c.nodes[id]
		if child.Kind != graph.Model {
			continue
		}
		for _, r := range child.Refs {
			parent := c.refParent(child, r)
			if parent == nil {
				continue
			}
			t, ok := dates[parent.ID]
			if !ok {
				continue
			}
			var msg string
			event := diag.EventUpcomingRef
			if t.Before(now) {
				event = diag.EventDeprecatedRef
				msg = fmt.Sprintf("While compiling '%s': Found a reference to %s%s, which was deprecated on '%s'.", child.Name, parent.Name, versionSuffix(parent.Version), parent.DeprecationDate)
				if parent.Version != "" && parent.Version != parent.LatestVersion {
					msg += fmt.Sprintf(" A new version of '%s' is available. Migrate now: {{ ref('%s', '%s', v='%s') }}.", parent.Name, parent.Package, parent.Name, parent.LatestVersion)
				}
			} else {
				msg = fmt.Sprintf("While compiling '%s': Found a reference to %s%s, which is slated for deprecation on '%s'.", child.Name, parent.Name, versionSuffix(parent.Version), parent.DeprecationDate)
				if parent.Version != "" && parent.Version != parent.LatestVersion {
					msg += fmt.Sprintf(" A new version of '%s' is available. Try it out: {{ ref('%s', '%s', v='%s') }}.", parent.Name, parent.Package, parent.Name, parent.LatestVersion)
				}
			}
			c.diags.Add(diag.Diagnostic{Pos: r.Pos, Severity: diag.Warning, Msg: msg, Event: event})
		}
	}
}

// refParent is the model ref r of child names (the version r names, else
// the latest); nil when it names none (a seed, a snapshot, an unknown
// name, which compiling reports).
func (c *compiler) refParent(child *graph.Node, r graph.Ref) *graph.Node {
	args := []string{r.Name}
	if r.Package != "" {
		args = []string{r.Package, r.Name}
	}
	t, _ := c.refTarget(child.Package, args) // pkgnodes.go
	if t != nil && r.Version != "" && t.Package == c.name {
		if vm := c.versioned[t.Name]; vm != nil {
			t = vm.nodes[r.Version]
		}
	}
	if t == nil || t.Kind != graph.Model || t == child {
		return nil
	}
	return t
}

// versionSuffix is ".v<version>", or "" for an unversioned model.
func versionSuffix(v string) string {
	if v == "" {
		return ""
	}
	return ".v" + v
}
