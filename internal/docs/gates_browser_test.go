package docs

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kiln-build/kiln/internal/artifact"
	"github.com/kiln-build/kiln/internal/testenv/browsertest"
)

// TestGateChartInBrowser gives a test of the shop's last run the result of
// a deviation gate (eight accepted months around 300 rows, a band of
// 225..383 and a month of 600) and opens its page and its model's page in
// Chromium: each shows an SVG chart with the eight months, the band, the
// expected value and the month checked above the band in the anomaly's
// colour, with the explanation under it.
func TestGateChartInBrowser(t *testing.T) {
	f := loadFixture(t, "testdata/shop.txtar")
	in := f.input(t, true)
	rr := *in.Results
	rr.Results = append([]artifact.NodeResult(nil), rr.Results...)
	test := -1
	for i, r := range rr.Results {
		if strings.HasPrefix(string(r.UniqueID), "test.") {
			test = i
			break
		}
	}
	if test < 0 {
		t.Fatal("the fixture's run has no test")
	}
	num := func(x float64) *float64 { return &x }
	g := artifact.GateResult{Label: "row count", Month: "2024-09", Value: num(600), Verdict: "anomaly", Expected: num(300), Lower: num(225), Upper: num(383),
		Explain: []string{"row count: 600 is outside the band 225..383", "accepted months: 2024-01 300, ..."}}
	for i, v := range []float64{300, 294, 296, 298, 300, 302, 304, 306} {
		g.History = append(g.History, artifact.GatePointJSON{Month: artifact.MonthText(2024*12 + i), Value: v})
	}
	rr.Results[test].Gates = []artifact.GateResult{g}
	in.Results = &rr
	url := writePage(t, in)
	id := string(rr.Results[test].UniqueID)
	n := in.Manifest.Graph.Node(rr.Results[test].UniqueID)

	b := browsertest.Start(t, 1200, 900)
	for _, page := range []string{"#/node/" + id, "#/node/" + string(n.Test.Attached)} {
		browsertest.Do(t, b, "open "+page, chromedp.Navigate(url+page), chromedp.WaitVisible(chromedp.CSS("svg.gate-chart")))
		past := browsertest.Eval[int](t, b, `document.querySelectorAll('svg.gate-chart circle.past').length`)
		// The month checked is drawn above the band (smaller y on screen).
		above := browsertest.Eval[bool](t, b, `(() => { const s = document.querySelector('svg.gate-chart'); const now = s.querySelector('circle.now.v-anomaly'); const band = s.querySelector('rect.band');
			return !!now && !!band && +now.getAttribute('cy') < +band.getAttribute('y'); })()`)
		expected := browsertest.Eval[bool](t, b, `(() => { const s = document.querySelector('svg.gate-chart'); const e = s.querySelector('line.expected'); const band = s.querySelector('rect.band');
			return +e.getAttribute('y1') > +band.getAttribute('y') && +e.getAttribute('y1') < +band.getAttribute('y') + +band.getAttribute('height'); })()`)
		labels := browsertest.Eval[string](t, b, `Array.from(document.querySelectorAll('svg.gate-chart text.axis')).map(e => e.textContent).join(' ')`)
		explain := browsertest.Eval[string](t, b, `document.querySelector('figure.gate ul.explain').textContent`)
		if past != 8 || !above || !expected || labels != "383 225 2024-01 2024-09" || !strings.Contains(explain, "600 is outside the band 225..383") {
			t.Errorf("%s: %d past months, month above the band %v, expected in the band %v, labels %q, explanation %q", page, past, above, expected, labels, explain)
		}
	}
	for _, p := range b.Problems() {
		t.Error(p)
	}
}
