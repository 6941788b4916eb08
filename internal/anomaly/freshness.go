package anomaly

import (
	"fmt"
	"math"
	"time"
)

// File is an input file as a run read it: its bytes' SHA-256, its cells'
// digest and its modification time, with the month and run that accepted
// it.
type File struct {
	Path   string
	SHA256 string // hex, of the file's bytes
	// Cells is a workbook's cells digest (load.Result.Cells): the same
	// for a workbook opened and saved again with the same cells. "" when
	// there is none: a CSV or Parquet file, or a file recorded by a kiln
	// that did not compute it; the bytes are compared then.
	Cells   string
	ModTime time.Time
	Month   Month  // the month of the run that read it
	Run     string // that run's id, for the explanation; may be empty
}

// FreshnessOptions set an input freshness gate.
type FreshnessOptions struct {
	// MaxAge is the oldest a file may be when a run reads it, from its
	// modification time; 0 sets no limit.
	MaxAge time.Duration
	// TrainingMonths is how far back accepted months are compared.
	TrainingMonths int
	// MayRepeat lets the file have the content of another accepted
	// month's (reference data, such as a mapping, which is the same month
	// after month): such a file passes, and no rule of time applies to it
	// (it may keep the modification time of the month it was written).
	MayRepeat bool
	// RepeatNote says why a file with another accepted month's content
	// passes under MayRepeat (the test's repeat_note, such as "unchanged_ok
	// names raw.erp: the operator confirmed the export did not change");
	// "" says may_repeat: true.
	RepeatNote string
	// RepeatHint is the way to have such a file accepted when MayRepeat is
	// false, for a month whose export really did not change (the test's
	// repeat_hint, such as "add unchanged_ok: raw.erp to --vars"): the
	// run's closing hint names it (engine.StaleInput.Hint). "" for none.
	RepeatHint string
}

// DefaultFreshness are the options of an input freshness gate that sets
// none: a monthly export read within 45 days of being written, compared
// with the files of the last three years.
var DefaultFreshness = FreshnessOptions{MaxAge: 45 * 24 * time.Hour, TrainingMonths: 36}

// FreshnessRule names a rule of the input freshness gate.
type FreshnessRule string

// The rules; breaking any one is an anomaly.
const (
	// SameContent: the file's content (its cells for a workbook, else
	// its bytes) is the one accepted for another month: the month was not
	// delivered and another month's export was read again.
	SameContent FreshnessRule = "same_content"
	// NotNewer: the file was modified before the file accepted for the
	// last earlier month: an older export replaced the new one.
	NotNewer FreshnessRule = "not_newer"
	// TooOld: the file is older than MaxAge.
	TooOld FreshnessRule = "too_old"
)

// Freshness is an input freshness check, explained.
type Freshness struct {
	Verdict Verdict // Pass or Anomaly
	Month   Month
	Current File
	// Last is the file accepted for the last month before Month; nil when
	// there is none (the first month: only MaxAge applies).
	Last *File
	// Same is the accepted file of another month (the nearest) whose
	// content Current has: SameContent broke, or Options.MayRepeat let it
	// pass (Repeat).
	Same *File
	// Repeat: Current has the content of Same, which Options.MayRepeat
	// allows.
	Repeat bool
	// Age is Current's age when the run read it.
	Age     time.Duration
	Broken  []FreshnessRule
	Options FreshnessOptions
	Reasons []string // one sentence per broken rule
}

// CheckFreshness checks cur, the file read by the run of month at (at
// time now), against accepted, the files of the accepted months (any
// order). SameContent compares with the other months within
// TrainingMonths, earlier and later (a backfill that reads a later
// month's export is as wrong as a month that reads an earlier one), but
// not when cur is the very file accepted for month at: a month run again
// with the file it was accepted with passes (no rule applies to it: it
// counts once), whatever other month read that file since. NotNewer
// compares with the last earlier month. Two files have the same content
// when their bytes are the same, or their cells (SameContentAs).
// With o.MayRepeat, a file with another month's content passes.
func CheckFreshness(accepted []File, cur File, at Month, now time.Time, o FreshnessOptions) Freshness {
	f := Freshness{Verdict: Pass, Month: at, Current: cur, Age: now.Sub(cur.ModTime), Options: o}
	own := false
	for i := range accepted {
		if accepted[i].Month == at && cur.SameContentAs(accepted[i]) {
			own = true
		}
	}
	for i := range accepted {
		a := &accepted[i]
		if a.Month == at || (o.TrainingMonths > 0 && (a.Month < at-Month(o.TrainingMonths) || a.Month > at+Month(o.TrainingMonths))) {
			continue
		}
		if a.Month < at && (f.Last == nil || a.Month > f.Last.Month) {
			f.Last = a
		}
		if !own && cur.SameContentAs(*a) && (f.Same == nil || distance(a.Month, at) < distance(f.Same.Month, at)) {
			f.Same = a
		}
	}
	if own {
		// The month's own accepted file: it passed (or was accepted) for
		// this month already, when it was as old as it was then.
		return f
	}
	if f.Same != nil && o.MayRepeat {
		// Reference data again: the month's file, whatever its time.
		f.Repeat = true
		return f
	}
	if f.Same != nil {
		f.Broken = append(f.Broken, SameContent)
		f.Reasons = append(f.Reasons, fmt.Sprintf("%s has the content of the file accepted for %s%s: this month's export was not delivered", cur.Path, f.Same.Month, runNote(f.Same.Run)))
	} else if f.Last != nil && !cur.ModTime.After(f.Last.ModTime) {
		f.Broken = append(f.Broken, NotNewer)
		f.Reasons = append(f.Reasons, fmt.Sprintf("%s was modified %s, not after the file accepted for %s (%s): an older export replaced the new one",
			cur.Path, stamp(cur.ModTime), f.Last.Month, stamp(f.Last.ModTime)))
	}
	if o.MaxAge > 0 && f.Age > o.MaxAge {
		f.Broken = append(f.Broken, TooOld)
		f.Reasons = append(f.Reasons, fmt.Sprintf("%s was modified %s, %s before the run: more than max_age_days (%s)", cur.Path, stamp(cur.ModTime), days(f.Age), Num(o.MaxAge.Hours()/24)))
	}
	if len(f.Broken) > 0 {
		f.Verdict = Anomaly
	}
	return f
}

// SameContentAs reports whether f and g hold the same content: the same
// bytes, or the same cells (both digests known and equal). A file
// recorded without a cells digest (by an earlier kiln) is compared by
// its bytes only.
func (f File) SameContentAs(g File) bool {
	return f.SHA256 == g.SHA256 || (f.Cells != "" && f.Cells == g.Cells)
}

// distance is the number of months between a and b.
func distance(a, b Month) Month {
	if a > b {
		return a - b
	}
	return b - a
}

func runNote(run string) string {
	if run == "" {
		return ""
	}
	if len(run) > 8 {
		run = run[:8]
	}
	return " (run " + run + ")"
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// days writes d in days, with one decimal under ten days.
func days(d time.Duration) string {
	n := d.Hours() / 24
	if math.Abs(n) < 10 {
		return fmt.Sprintf("%.1f days", n)
	}
	return fmt.Sprintf("%.0f days", n)
}
