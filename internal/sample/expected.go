package sample

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Expected holds the reference figures of a generated month, computed in Go
// from the cell values written (see tally), with the definitions of the
// real pipeline. Counts are rows or distinct keys; money is in cents,
// prices in euros.
type Expected struct {
	ERPRows           int // data rows of erp.xlsx
	ERPProducts       int // distinct product_id in erp.xlsx
	ERPOnSale         int // ERP products with onsale_web = 1
	ERPNegativePrices int // ERP products with price < 0 (none of them joined)

	LiaisonRows       int // data rows of liaison.xlsx
	LiaisonWithIDWeb  int // liaison rows with a non-empty id_web
	LiaisonUnmatched  int // liaison rows whose id_web is no web product's sku
	WebRows           int // data rows of web.xlsx
	WebBlankRows      int // rows empty but for virtual, downloadable, rating_count
	WebAttachmentRows int // rows with post_type = 'attachment'
	WebProductRows    int // rows with post_type = 'product', with or without sku
	WebProductsNoSKU  int // rows with post_type = 'product' and an empty sku
	WebTextSKUs       int // distinct product skus that are not integers
	WebProducts       int // distinct sku over post_type = 'product' rows with a sku

	// Joined counts ERP products joined to web products through the liaison
	// file: erp.product_id = liaison.product_id, liaison.id_web = web.sku.
	Joined int
	// TotalRevenueCents is the sum over joined products of price (euros, at
	// most 2 decimals) x total_sales of the product row, in cents, exact.
	TotalRevenueCents int64
	// PriceMean and PriceStddev are the mean and the sample standard
	// deviation (n-1) of the joined products' prices, in euros.
	PriceMean, PriceStddev float64
	// PremiumThreshold is PriceMean + PremiumZ x PriceStddev, in euros.
	PremiumThreshold float64
	// PremiumCount counts joined products whose price z-score
	// (price-PriceMean)/PriceStddev is above PremiumZ; OrdinaryCount the rest.
	PremiumCount, OrdinaryCount int
	// PremiumMargin is the least |z - PremiumZ| over joined products: no
	// price sits on the threshold's knife edge.
	PremiumMargin float64
}

// TotalRevenue returns TotalRevenueCents in euros, as "70568.60".
func (e Expected) TotalRevenue() string {
	return fmt.Sprintf("%d.%02d", e.TotalRevenueCents/100, e.TotalRevenueCents%100)
}

// Markdown returns the figures as a Markdown table (figure, value,
// definition), one line per field, in declaration order.
func (e Expected) Markdown() string {
	var b strings.Builder
	b.WriteString("| figure | value | definition |\n|---|---:|---|\n")
	for _, f := range e.figures() {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", f[0], f[1], f[2])
	}
	return b.String()
}

// figures returns each field's name, value and definition, in
// declaration order.
func (e Expected) figures() [][3]string {
	var out [][3]string
	row := func(name string, v any, def string) {
		out = append(out, [3]string{name, fmt.Sprint(v), def})
	}
	row("ERPRows", e.ERPRows, "data rows of erp.xlsx")
	row("ERPProducts", e.ERPProducts, "distinct product_id in erp.xlsx")
	row("ERPOnSale", e.ERPOnSale, "ERP products with onsale_web = 1")
	row("ERPNegativePrices", e.ERPNegativePrices, "ERP products with price < 0")
	row("LiaisonRows", e.LiaisonRows, "data rows of liaison.xlsx")
	row("LiaisonWithIDWeb", e.LiaisonWithIDWeb, "liaison rows with an id_web")
	row("LiaisonUnmatched", e.LiaisonUnmatched, "liaison rows whose id_web is no web product sku")
	row("WebRows", e.WebRows, "data rows of web.xlsx")
	row("WebBlankRows", e.WebBlankRows, "rows empty but for zeros in virtual, downloadable, rating_count")
	row("WebAttachmentRows", e.WebAttachmentRows, "rows with post_type 'attachment'")
	row("WebProductRows", e.WebProductRows, "rows with post_type 'product'")
	row("WebProductsNoSKU", e.WebProductsNoSKU, "rows with post_type 'product' and no sku")
	row("WebTextSKUs", e.WebTextSKUs, "distinct product skus that are not integers")
	row("WebProducts", e.WebProducts, "distinct sku of 'product' rows with a sku")
	row("Joined", e.Joined, "ERP joined to web products via liaison (product_id, id_web = sku)")
	row("TotalRevenue", e.TotalRevenue(), "sum of price x total_sales over joined products, euros")
	row("PriceMean", fmt.Sprintf("%.4f", e.PriceMean), "mean price of joined products, euros")
	row("PriceStddev", fmt.Sprintf("%.4f", e.PriceStddev), "sample standard deviation (n-1) of those prices")
	row("PremiumThreshold", fmt.Sprintf("%.4f", e.PremiumThreshold), "PriceMean + 2 x PriceStddev, euros")
	row("PremiumCount", e.PremiumCount, "joined products with price z-score > 2")
	row("OrdinaryCount", e.OrdinaryCount, "joined products with price z-score <= 2")
	row("PremiumMargin", fmt.Sprintf("%.4f", e.PremiumMargin), "least distance of a z-score to 2")
	return out
}

// tally computes Expected from rows of cell values as strings (the raw
// values excelize reads: "13127", "34.3", "bon-cadeau-25-euros", "" for
// no cell), fed file by file, each sheet's header row first.
type tally struct {
	e       Expected
	col     map[string]int    // web column index by name
	erp     map[string]int64  // product_id -> price in cents
	status  map[string]string // product_id -> stock_status
	liaison [][2]string       // product_id, id_web
	web     map[string]string // product sku -> total_sales of its first row
}

func newTally() *tally {
	return &tally{erp: map[string]int64{}, status: map[string]string{}, web: map[string]string{}}
}

func cents(s string) int64 {
	f, _ := strconv.ParseFloat(s, 64)
	return int64(math.Round(f * 100))
}

// add takes one row of file (ERPFile, LiaisonFile or WebFile); header
// marks a header row (the first of each sheet).
func (t *tally) add(file string, row []string, header bool) {
	if header {
		if file == WebFile && t.col == nil {
			t.col = map[string]int{}
			for i, name := range row {
				t.col[name] = i
			}
		}
		return
	}
	width := map[string]int{ERPFile: len(ERPColumns), LiaisonFile: len(LiaisonColumns), WebFile: len(WebColumns)}[file]
	for len(row) < width { // readers drop trailing empty cells
		row = append(row, "")
	}
	switch file {
	case ERPFile:
		t.e.ERPRows++
		t.erp[row[0]] = cents(row[2])
		t.status[row[0]] = row[4]
		if row[1] == "1" {
			t.e.ERPOnSale++
		}
		if t.erp[row[0]] < 0 {
			t.e.ERPNegativePrices++
		}
	case LiaisonFile:
		t.liaison = append(t.liaison, [2]string{row[0], row[1]})
	case WebFile:
		t.addWeb(row)
	}
}

func (t *tally) addWeb(row []string) {
	t.e.WebRows++
	get := func(name string) string { return row[t.col[name]] }
	blank := true
	for i, v := range row {
		switch WebColumns[i] {
		case "virtual", "downloadable", "rating_count":
			blank = blank && v == "0"
		default:
			blank = blank && v == ""
		}
	}
	sku := get("sku")
	switch get("post_type") {
	case "attachment":
		t.e.WebAttachmentRows++
	case "product":
		t.e.WebProductRows++
		if sku == "" {
			t.e.WebProductsNoSKU++
		} else if _, seen := t.web[sku]; !seen {
			t.web[sku] = get("total_sales")
			if _, err := strconv.ParseInt(sku, 10, 64); err != nil {
				t.e.WebTextSKUs++
			}
		}
	}
	if blank {
		t.e.WebBlankRows++
	}
}

// result joins the three files and returns the figures.
func (t *tally) result() Expected {
	e := t.e
	e.ERPProducts = len(t.erp)
	e.LiaisonRows = len(t.liaison)
	e.WebProducts = len(t.web)
	var prices []float64
	for _, l := range t.liaison {
		if l[1] == "" {
			continue
		}
		e.LiaisonWithIDWeb++
		sales, ok := t.web[l[1]]
		if !ok {
			e.LiaisonUnmatched++
			continue
		}
		price, ok := t.erp[l[0]]
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(sales, 10, 64)
		e.TotalRevenueCents += price * n
		prices = append(prices, euros(price))
	}
	e.Joined = len(prices)
	var sum, ss float64
	for _, p := range prices {
		sum += p
	}
	e.PriceMean = sum / float64(len(prices))
	for _, p := range prices {
		ss += (p - e.PriceMean) * (p - e.PriceMean)
	}
	e.PriceStddev = math.Sqrt(ss / float64(len(prices)-1))
	e.PremiumThreshold = e.PriceMean + PremiumZ*e.PriceStddev
	e.PremiumMargin = math.Inf(1)
	for _, p := range prices {
		z := (p - e.PriceMean) / e.PriceStddev
		if z > PremiumZ {
			e.PremiumCount++
		}
		e.PremiumMargin = min(e.PremiumMargin, math.Abs(z-PremiumZ))
	}
	e.OrdinaryCount = e.Joined - e.PremiumCount
	return e
}
