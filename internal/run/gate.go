package run

// Gate is what one series of a deviation gate (package anomaly) found in a
// run: kept in the run history (its value, month and whether it is
// accepted), written to run_results.json and drawn in the docs (its
// history, band and value).
type Gate struct {
	// Series keys the gate's history; Segment the part of it (a
	// dimension's values, a column metric), "" for a gate of one series.
	Series, Segment string
	// Label says what is watched, for people: "row count",
	// "sum(revenue)", "family = 'Bordeaux'", "null_percent of price".
	Label string
	// Month is the month the value stands for (anomaly.Month).
	Month int
	// Value is the value observed; Observed is false when there is none to
	// keep (a rate of no row), and the gate records nothing.
	Value    float64
	Observed bool
	// Verdict is pass, anomaly or cold_start.
	Verdict string
	// Accepted says whether the value joins the gate's history: it did not
	// deviate, or its deviation was accepted (--accept-deviations).
	Accepted bool
	// Expected, Lower and Upper are the expected value and the band; NaN
	// when there is none (a cold start without history, a schema).
	Expected, Lower, Upper float64
	// History are the accepted months the check used, oldest first.
	History []GatePoint
	// Explain is the explanation, a line per fact (anomaly.Result.Explain).
	Explain []string
	// Detail is what the gate keeps besides the value, as JSON (columns,
	// an input file).
	Detail string
	// SameAs is, for input_freshness, the month (YYYY-MM) of the accepted
	// file whose content the file read has: this month's export was not
	// delivered, and --accept-deviations does not accept it; "" otherwise.
	SameAs string
}

// GatePoint is one accepted month of a gate's history.
type GatePoint struct {
	Month int
	Value float64
}
