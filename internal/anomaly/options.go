package anomaly

import "fmt"

// Direction says which deviations a gate reports: both (the default),
// spike (only values above the band) or drop (only values below it), as
// Elementary's anomaly_direction.
type Direction int

// The directions.
const (
	Both Direction = iota
	Spike
	Drop
)

// ParseDirection reads "both", "spike" or "drop".
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "", "both":
		return Both, nil
	case "spike":
		return Spike, nil
	case "drop":
		return Drop, nil
	}
	return Both, fmt.Errorf("anomaly_direction %q: write both, spike or drop", s)
}

func (d Direction) String() string {
	return [...]string{"both", "spike", "drop"}[d]
}

// Seasonality says whether the same month of the previous year may be the
// reference: auto (the default) uses it when the history holds that month
// and its past errors are smaller than those of the recent level; none
// never does; month_of_year always does when the history holds that month.
type Seasonality int

// The seasonality settings.
const (
	SeasonAuto Seasonality = iota
	SeasonNone
	SeasonMonthOfYear
)

// ParseSeasonality reads "auto", "none" or "month_of_year".
func ParseSeasonality(s string) (Seasonality, error) {
	switch s {
	case "", "auto":
		return SeasonAuto, nil
	case "none":
		return SeasonNone, nil
	case "month_of_year":
		return SeasonMonthOfYear, nil
	}
	return SeasonAuto, fmt.Errorf("seasonality %q: write auto, none or month_of_year", s)
}

func (s Seasonality) String() string {
	return [...]string{"auto", "none", "month_of_year"}[s]
}

// Options set a gate. Start from Defaults and change what differs.
type Options struct {
	// Sensitivity is the robust score beyond which a value may be an
	// anomaly: how many robust standard deviations (MADScale x the median
	// absolute deviation of the reference's past errors) it lies from the
	// expected value.
	Sensitivity float64
	// MinChangePct is the least change from the expected value, in percent
	// of it, for a value to be an anomaly: on a stable history tiny changes
	// score high, and this keeps them quiet (Elementary's 100,000 -> 99,995
	// rows scored z = -4).
	MinChangePct float64
	// MinChange is the least absolute change from the expected value, in
	// the metric's unit (rows, euros, percentage points), for a value to be
	// an anomaly; 0 sets no floor beyond MinChangePct.
	MinChange float64
	// MinPoints is the number of accepted months a gate needs before it can
	// fail a run; with fewer it is in its cold start and only warns.
	MinPoints int
	// TrainingMonths is how far back accepted months are used, in months
	// before the one checked.
	TrainingMonths int
	Direction      Direction
	Seasonality    Seasonality
	// Comparisons is the number of series checked together, such as the
	// segments of a dimension: the tail probability of Sensitivity is
	// divided by it (Bonferroni's correction), so that the chance of a
	// false alarm of the whole check stays that of one series. 0 means 1.
	Comparisons int
}

// Defaults are the options of a gate that sets none, for a pipeline that
// runs once a month: Sensitivity and MinChangePct were chosen on the
// tuning histories of the labelled benchmark (bench/anomalies, seeds 1
// and 3), never on the histories it reports on; MinPoints is half a year,
// TrainingMonths three years. DefaultsFor sets MinChange by kind.
var Defaults = Options{
	Sensitivity:    3,
	MinChangePct:   25,
	MinChange:      0,
	MinPoints:      6,
	TrainingMonths: 36,
}

// MinPointsFloor is the least MinPoints: the spread comes from the errors
// of the reference over the earlier months, and fewer than three accepted
// months give it no error to learn from.
const MinPointsFloor = 3

// Validate reports the first option out of its range, naming it as the
// YAML does.
func (o Options) Validate() error {
	switch {
	case !(o.Sensitivity > 0):
		return fmt.Errorf("anomaly_sensitivity must be a number above 0, not %v", o.Sensitivity)
	case !(o.MinChangePct >= 0):
		return fmt.Errorf("min_change_pct must be a number of 0 or more, not %v", o.MinChangePct)
	case !(o.MinChange >= 0):
		return fmt.Errorf("min_change must be a number of 0 or more, not %v", o.MinChange)
	case o.MinPoints < MinPointsFloor:
		return fmt.Errorf("min_training_set_size must be %d or more, not %d", MinPointsFloor, o.MinPoints)
	case o.TrainingMonths < o.MinPoints:
		return fmt.Errorf("training_months (%d) must be at least min_training_set_size (%d)", o.TrainingMonths, o.MinPoints)
	}
	return nil
}

// Kind is what a gate watches; it chooses the default MinChange (Columns
// and InputFile watch no number).
type Kind int

// The kinds of gates.
const (
	Volume    Kind = iota // a row count: at least 10 rows of change
	Metric                // a metric in its own unit: no absolute floor
	Dimension             // the row count of each segment: at least 10 rows
	Rate                  // a null or zero rate in percent: at least 5 points
)

// DefaultsFor returns Defaults with the MinChange of kind k.
func DefaultsFor(k Kind) Options {
	o := Defaults
	switch k {
	case Volume, Dimension:
		o.MinChange = 10
	case Rate:
		o.MinChange = 5
	}
	return o
}
