package sample

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func checkConsistent(t *testing.T, e Expected) {
	t.Helper()
	checks := []struct {
		ok   bool
		what string
	}{
		{e.ERPProducts == e.ERPRows, "ERP product_id unique"},
		{e.LiaisonRows == e.ERPRows, "one liaison row per ERP product"},
		{e.Joined <= e.WebProducts, "Joined <= WebProducts"},
		{e.Joined == e.LiaisonWithIDWeb-e.LiaisonUnmatched, "Joined = LiaisonWithIDWeb - LiaisonUnmatched"},
		{e.PremiumCount+e.OrdinaryCount == e.Joined, "Premium + Ordinary = Joined"},
		{e.PremiumCount >= 2, "at least 2 premium wines"},
		{e.PremiumMargin >= 0.01, "no z-score within 0.01 of 2"},
		{e.WebRows == e.WebBlankRows+e.WebAttachmentRows+e.WebProductRows, "web rows = blank + attachment + product"},
		{e.WebAttachmentRows == e.WebProducts, "one attachment per web product"},
		{e.ERPNegativePrices >= 1 && e.WebTextSKUs >= 2 && e.WebProductsNoSKU >= 2, "traps present"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("inconsistent figures (%s): %+v", c.what, e)
		}
	}
}

func TestExpectedConsistent(t *testing.T) {
	for _, cfg := range []Config{
		DefaultConfig(),
		{Products: MinProducts, Seed: 1},
		{Products: 500, Seed: 7, DuplicateProductRows: 3},
	} {
		_, e := generate(t, cfg)
		checkConsistent(t, e)
	}
}

// TestExpectedRecomputed recomputes the main figures from the reopened
// files, independently of tally, and all figures through tally.
func TestExpectedRecomputed(t *testing.T) {
	dir, e := generate(t, Config{Products: 300, Seed: 3, DuplicateProductRows: 2})
	rows := allRows(t, dir)
	price := map[string]float64{}
	for _, r := range rows[ERPFile+"/"+SheetName][1:] {
		price[r[0]], _ = strconv.ParseFloat(r[2], 64)
	}
	sales := map[string]int64{}
	for _, r := range open(t, dir, WebFile).records() {
		if r["post_type"] == "product" && r["sku"] != "" {
			sales[r["sku"]], _ = strconv.ParseInt(r["total_sales"], 10, 64)
		}
	}
	var prices []float64
	var revenue int64
	for _, r := range rows[LiaisonFile+"/"+SheetName][1:] {
		if n, ok := sales[r[1]]; ok && r[1] != "" {
			prices = append(prices, price[r[0]])
			revenue += int64(math.Round(price[r[0]]*100)) * n
		}
	}
	sort.Float64s(prices)
	var sum, ss float64
	for _, p := range prices {
		sum += p
	}
	mean := sum / float64(len(prices))
	for _, p := range prices {
		ss += (p - mean) * (p - mean)
	}
	threshold := mean + 2*math.Sqrt(ss/float64(len(prices)-1))
	premium := len(prices) - sort.SearchFloat64s(prices, math.Nextafter(threshold, math.Inf(1)))
	if len(sales) != e.WebProducts || len(prices) != e.Joined || revenue != e.TotalRevenueCents || premium != e.PremiumCount {
		t.Errorf("recomputed web %d joined %d revenue %d premium %d; Expected %+v", len(sales), len(prices), revenue, premium, e)
	}
	if got := tallyOf(rows); got != e {
		t.Errorf("figures of the reopened files:\n%+v\nExpected:\n%+v", got, e)
	}
}

// tallyOf feeds every sheet of the reopened files to a tally.
func tallyOf(rows map[string][][]string) Expected {
	tl := newTally()
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys) // Sheet1, Sheet2, ... within a file (fewer than 10 in tests)
	for _, k := range keys {
		file := k[:strings.Index(k, "/")]
		for i, r := range rows[k] {
			tl.add(file, r, i == 0)
		}
	}
	return tl.result()
}

func TestGenerateDeterministic(t *testing.T) {
	cfg := Config{Products: 200, Seed: 42}
	a, ea := generate(t, cfg)
	b, eb := generate(t, cfg)
	if ea != eb || !reflect.DeepEqual(allRows(t, a), allRows(t, b)) {
		t.Error("the same Config gave different cells")
	}
	for _, file := range []string{ERPFile, LiaisonFile, WebFile} {
		x, _ := os.ReadFile(filepath.Join(a, file))
		y, _ := os.ReadFile(filepath.Join(b, file))
		if !bytes.Equal(x, y) {
			t.Errorf("%s: the same Config gave different bytes", file)
		}
	}
	c, _ := generate(t, Config{Products: 200, Seed: 43})
	if reflect.DeepEqual(allRows(t, a), allRows(t, c)) {
		t.Error("seeds 42 and 43 gave the same cells")
	}
}

func TestStreamMatchesMemory(t *testing.T) {
	mem, em := generate(t, DefaultConfig())
	cfg := DefaultConfig()
	cfg.Stream = true
	str, es := generate(t, cfg)
	if em != es || !reflect.DeepEqual(allRows(t, mem), allRows(t, str)) {
		t.Error("streamed and in-memory workbooks differ")
	}
}

func TestSplitSheets(t *testing.T) {
	defer func(n int) { maxSheetRows = n }(maxSheetRows)
	maxSheetRows = 40
	dir, e := generate(t, Config{Products: 60, Seed: 5, Stream: true})
	rows := allRows(t, dir)
	sheets := 0
	for k, r := range rows {
		if strings.HasPrefix(k, WebFile+"/") {
			sheets++
			if len(r) > 40 || r[0][0] != "sku" {
				t.Errorf("%s: %d rows, header %q", k, len(r), r[0][:2])
			}
		}
	}
	if sheets != (e.WebRows+38)/39 {
		t.Errorf("web.xlsx has %d sheets for %d rows", sheets, e.WebRows)
	}
	if got := tallyOf(rows); got != e {
		t.Errorf("figures of the split files:\n%+v\nExpected:\n%+v", got, e)
	}
}

// TestCommittedSample keeps data/sample in step with the generator: the
// README states the generated figures and each month's workbooks hold the
// cells.
func TestCommittedSample(t *testing.T) {
	dir := t.TempDir()
	ms, err := GenerateMonths(dir, DefaultConfig(), DefaultMonths)
	if err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "..", "data", "sample")
	readme, err := os.ReadFile(filepath.Join(committed, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if string(readme) != Readme(ms) {
		t.Errorf("data/sample/README.md is stale; regenerate with go run ./cmd/gensample -out data/sample. Figures:\n%s", MonthsMarkdown(ms))
	}
	for _, m := range DefaultMonths {
		if !reflect.DeepEqual(allRows(t, filepath.Join(committed, m)), allRows(t, filepath.Join(dir, m))) {
			t.Errorf("data/sample/%s workbooks differ from the generator's; regenerate with go run ./cmd/gensample -out data/sample", m)
		}
	}
}

func TestSeedsSettlePremium(t *testing.T) {
	for seed := int64(0); seed < 40; seed++ {
		cfg := Config{Products: MinProducts + int(seed)*7, Seed: seed}
		c, _ := cfg.normalized()
		p, err := newPlan(c)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		mean, sd := p.priceStats()
		premium := 0
		for _, e := range p.erp {
			if e.kind != kindJoined {
				continue
			}
			z := (euros(e.price) - mean) / sd
			if math.Abs(z-PremiumZ) < premiumMargin {
				t.Errorf("seed %d: z-score %.4f on the knife edge", seed, z)
			}
			if z > PremiumZ {
				premium++
			}
		}
		if premium < 2 {
			t.Errorf("seed %d, %d products: %d premium wines", seed, cfg.Products, premium)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{{Products: MinProducts - 1}, {Products: 100, DuplicateProductRows: -1}} {
		if _, err := Generate(t.TempDir(), cfg); err == nil {
			t.Errorf("Generate(%+v) = nil error", cfg)
		}
	}
}
