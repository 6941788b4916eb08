package execute

import "strings"

// The notes --accept-deviations adds to a deviation gate's message, for
// a run that succeeds: only a successful run's values join a gate's
// history or become its baseline (the run history accepts no
// observation of another run).
const (
	acceptedLearns   = "; accepted (--accept-deviations): the history learns from it"
	acceptedBaseline = "; accepted (--accept-deviations): it is the new baseline"
	acceptedJoins    = "; accepted (--accept-deviations): this run's values join the history"
)

// NotLearned is the note that replaces those above in a run that did
// not succeed.
const NotLearned = "; accepted (--accept-deviations), but the run did not succeed: the history does not learn from it (only a successful run's values join it)"

// UnacceptedMessage returns msg, a node's message in a run that did not
// succeed (failed, rolled back, interrupted), with the note that
// --accept-deviations made its values join the history replaced by
// NotLearned; msg as it is when it has no such note.
func UnacceptedMessage(msg string) string {
	for _, note := range []string{acceptedLearns, acceptedBaseline, acceptedJoins} {
		if strings.Contains(msg, note) {
			return strings.Replace(msg, note, NotLearned, 1)
		}
	}
	return msg
}
