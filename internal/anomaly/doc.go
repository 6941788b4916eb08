// Package anomaly holds the method of kiln's deviation gates for data that
// arrives once a month (issue 19): a robust score against the accepted
// months of a series, with a seasonal reference once a year of history
// exists, rules that keep small and slow changes quiet, a documented cold
// start, and an explanation of every result. It is pure: no database, no
// I/O; package execute feeds it the run history.
//
// # The method
//
// A gate watches one figure of a model each month (a row count, a metric,
// the rows of a segment, a null rate). Its history is the accepted months:
// the value of each month whose run passed, or whose deviation was
// accepted with --accept-deviations; a month flagged and not accepted, or
// rolled back, is never learned from. A month run twice counts once, with
// its last accepted value.
//
// Detect computes an expected value and a robust spread from one of two
// references:
//
//   - level: the median of the last 24 accepted months, and the median
//     absolute deviation (MAD) around it, scaled by MADScale = 1.4826 to
//     estimate a standard deviation (Hampel 1974, "The influence curve and
//     its role in robust estimation", JASA 69:383-393; Rousseeuw and Croux
//     1993, "Alternatives to the median absolute deviation", JASA
//     88:1273-1283). The median and the MAD ignore up to half the months,
//     so a missed anomaly or a one-off month does not move them, where a
//     mean and a standard deviation are dragged by a single zero
//     (Elementary's z = -1.4 for a drop to 0, elementary-data/elementary
//     issue 1169).
//   - seasonal: once the same month of the previous year is accepted and
//     three other months have their month of the year before, the value of
//     that month times the median year-over-year change, with the MAD of
//     those changes: the seasonal naive method with drift (Hyndman and
//     Athanasopoulos, "Forecasting: Principles and Practice", 3rd ed.,
//     section 5.2). Day-of-week seasonality means nothing to monthly data;
//     the same month a year before does.
//
// Both are computed on the logarithms when every accepted month is above 0
// (changes of a volume are ratios: a drop to half and a doubling are
// equally far), on the values otherwise (a rate that can be 0).
//
// # Short histories
//
// With few months the MAD is often small by chance: of six normal values,
// 1.4826 x MAD is under half their standard deviation one time in five
// (0.21 in a million draws; 0.07 for twelve values). A fixed threshold on
// the score then raises false alarms on every short history. The
// threshold is instead the quantile of the score of a normal value against
// n normal values at the tail probability of Sensitivity standard
// deviations (Threshold: for the default 3, 13 with 6 months, 6.0 with 12
// and 4.2 with 24, against 3 if the spread were known).
// The quantiles come from simulation (internal/anomaly/calibrate), as the
// finite-sample behaviour of the MAD is known to need (Croux and Rousseeuw
// 1992, "Time-efficient algorithms for two highly robust estimators of
// scale", Computational Statistics 1:411-428; Rousseeuw and Verboven 2002,
// "Robust estimation in very small samples", Computational Statistics and
// Data Analysis 40:741-758).
//
// A gate that checks several series at once (the segments of a dimension)
// divides the tail probability by their number (Bonferroni's correction;
// Dunn 1961, "Multiple comparisons among means", JASA 56:52-64), so the
// check as a whole raises false alarms as rarely as one series.
//
// # The rules
//
// A value is an anomaly only when it breaks every rule:
//
//  1. its robust score exceeds the threshold;
//  2. it changed from the expected value by more than MinChangePct percent
//     and by more than MinChange (a stable history makes tiny changes
//     score high: Elementary flagged 100,000 -> 99,995 rows with z = -4;
//     its fix was the same pair of floors);
//  3. it changed from the last accepted month by more than both floors
//     too: a slow drift moves a little each month and is no anomaly, and
//     after a change of level accepted once, the next months follow it.
//
// # Cold start
//
// With fewer accepted months than MinPoints (6 by default) a gate cannot
// fail a run: its result is ColdStart, which kiln reports as a warning
// that says how many months it still needs and how far the value is from
// the months there are (never an error: elementary-data/elementary issue
// 1118).
//
// # Schema and input files
//
// CompareSchema returns the columns added, removed and retyped since the
// last accepted month; CheckFreshness tells a month's input file from the
// files of the accepted months (the same content again, an older file, a
// file older than a limit).
//
// The labelled benchmark in bench/anomalies measures the whole: recall and
// false alarms on synthetic monthly histories, beside a plain z >= 3 rule
// and the fixed-percentage gates (BENCHMARKS.md).
package anomaly
