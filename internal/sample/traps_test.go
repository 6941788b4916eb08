package sample

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestGenerateSheetsAndHeaders(t *testing.T) {
	dir, _ := generate(t, DefaultConfig())
	for file, columns := range map[string][]string{ERPFile: ERPColumns, LiaisonFile: LiaisonColumns, WebFile: WebColumns} {
		w := open(t, dir, file)
		if got := w.f.GetSheetList(); !slices.Equal(got, []string{SheetName}) {
			t.Errorf("%s: sheets %q, want [%q]", file, got, SheetName)
		}
		if !slices.Equal(w.rows[0], columns) {
			t.Errorf("%s: header %q, want %q", file, w.rows[0], columns)
		}
		if typ, _ := w.cell(t, -1, columns, columns[0]); typ != excelize.CellTypeSharedString {
			t.Errorf("%s: header cell type %v, want a shared string", file, typ)
		}
	}
	if len(WebColumns) != 28 {
		t.Errorf("%d web columns, want 28", len(WebColumns))
	}
}

func TestGenerateWebTraps(t *testing.T) {
	dir, e := generate(t, DefaultConfig())
	w := open(t, dir, WebFile)
	recs := w.records()
	products := map[string]record{}
	attachments := map[string]record{}
	firstPos := map[string]int{}
	blank, noSKU, multiline := 0, 0, 0
	for i, r := range recs {
		switch r["post_type"] {
		case "product":
			if r["sku"] == "" {
				noSKU++
				break
			}
			products[r["sku"]] = r
			if strings.Contains(r["post_excerpt"], "\n") {
				multiline++
			}
		case "attachment":
			if r["post_mime_type"] != "image/jpeg" {
				t.Errorf("row %d: attachment mime %q", i+2, r["post_mime_type"])
			}
			if _, dup := attachments[r["sku"]]; dup {
				t.Errorf("row %d: second attachment for sku %q", i+2, r["sku"])
			}
			attachments[r["sku"]] = r
		case "":
			blank++
			for name, v := range r {
				want := ""
				if name == "virtual" || name == "downloadable" || name == "rating_count" {
					want = "0"
				}
				if v != want {
					t.Errorf("blank row %d: %s = %q, want %q", i+2, name, v, want)
				}
			}
			if i < 3 {
				firstPos["blank"] = i
			}
		}
		if _, seen := firstPos[r["post_type"]+r["sku"]]; !seen {
			firstPos[r["post_type"]+r["sku"]] = i
		}
		if r["post_content"] != "" {
			t.Errorf("row %d: post_content %q, want empty as in the real export", i+2, r["post_content"])
		}
	}
	if blank != e.WebBlankRows || blank < 2 {
		t.Errorf("%d blank rows, Expected says %d (want at least 2)", blank, e.WebBlankRows)
	}
	if _, ok := firstPos["blank"]; !ok {
		t.Error("no blank row among the first three data rows")
	}
	if noSKU != e.WebProductsNoSKU || noSKU < 2 {
		t.Errorf("%d product rows without sku, Expected says %d (want at least 2)", noSKU, e.WebProductsNoSKU)
	}
	if multiline == 0 {
		t.Error("no multi-line post_excerpt")
	}
	if len(products) != e.WebProducts || len(attachments) != len(products) {
		t.Errorf("%d products, %d attachments, Expected.WebProducts %d", len(products), len(attachments), e.WebProducts)
	}
	salesDiffer := 0
	for s, p := range products {
		a, ok := attachments[s]
		if !ok {
			t.Errorf("product %q has no attachment twin", s)
			continue
		}
		for _, col := range []string{"post_title", "post_name", "post_date", "post_date_gmt", "post_modified"} {
			if p[col] != a[col] {
				t.Errorf("sku %q: %s differs between twins: %q, %q", s, col, p[col], a[col])
			}
		}
		if p["total_sales"] != a["total_sales"] {
			salesDiffer++
			if firstPos["attachment"+s] > firstPos["product"+s] {
				t.Errorf("sku %q: twins disagree on total_sales but the product row comes first", s)
			}
		}
	}
	if salesDiffer == 0 {
		t.Error("no twins disagree on total_sales")
	}
}

func TestGenerateCellKinds(t *testing.T) {
	dir, e := generate(t, DefaultConfig())
	w := open(t, dir, WebFile)
	textSKUs, dates := 0, 0
	for i, row := range w.rows[1:] {
		sku := row[0]
		if sku != "" {
			typ, _ := w.cell(t, i, WebColumns, "sku")
			_, err := strconv.ParseInt(sku, 10, 64)
			switch {
			case err == nil && typ != excelize.CellTypeUnset:
				t.Errorf("row %d: numeric sku %q stored as %v, want a number", i+2, sku, typ)
			case err != nil && typ != excelize.CellTypeSharedString:
				t.Errorf("row %d: text sku %q stored as %v, want a shared string", i+2, sku, typ)
			case err != nil:
				textSKUs++
			}
		}
		for _, col := range []string{"post_date", "post_date_gmt", "post_modified", "post_modified_gmt"} {
			typ, format := w.cell(t, i, WebColumns, col)
			if row[slices.Index(WebColumns, col)] == "" {
				continue
			}
			dates++
			if typ != excelize.CellTypeUnset || format != DateFormat {
				t.Errorf("row %d: %s is %v with format %q, want a number with %q", i+2, col, typ, format, DateFormat)
			}
		}
	}
	// Text skus appear on both twins of the gift card and of each re-listing.
	if textSKUs != 2*e.WebTextSKUs || e.WebTextSKUs < 2 {
		t.Errorf("%d text sku cells, Expected.WebTextSKUs %d (want at least 2, each twice)", textSKUs, e.WebTextSKUs)
	}
	if dates == 0 {
		t.Error("no date cells")
	}
	if v, _ := w.f.GetCellValue(SheetName, "J2"); v != "" && !strings.Contains(v, "-") {
		t.Errorf("formatted post_date %q does not look like a date", v)
	}
	erp := open(t, dir, ERPFile)
	for i := range erp.rows[1:] {
		for _, col := range []string{"product_id", "onsale_web", "price", "stock_quantity"} {
			if typ, _ := erp.cell(t, i, ERPColumns, col); typ != excelize.CellTypeUnset {
				t.Errorf("erp row %d: %s stored as %v, want a number", i+2, col, typ)
			}
		}
	}
}

func TestGenerateLiaisonTraps(t *testing.T) {
	dir, e := generate(t, DefaultConfig())
	web := map[string]bool{}
	for _, r := range open(t, dir, WebFile).records() {
		if r["post_type"] == "product" && r["sku"] != "" {
			web[r["sku"]] = true
		}
	}
	l := open(t, dir, LiaisonFile)
	missing, unmatched, textUnmatched := 0, 0, 0
	for i, row := range l.rows[1:] {
		switch {
		case row[1] == "":
			missing++
		case !web[row[1]]:
			unmatched++
			if typ, _ := l.cell(t, i, LiaisonColumns, "id_web"); typ == excelize.CellTypeSharedString {
				textUnmatched++
			}
		}
	}
	if missing != e.LiaisonRows-e.LiaisonWithIDWeb || missing < 3 {
		t.Errorf("%d liaison rows without id_web, Expected says %d-%d (want at least 3)", missing, e.LiaisonRows, e.LiaisonWithIDWeb)
	}
	if unmatched != e.LiaisonUnmatched || unmatched < 2 || textUnmatched != 1 {
		t.Errorf("%d id_web that are no web product (%d text), Expected says %d (want at least 2, 1 text)", unmatched, textUnmatched, e.LiaisonUnmatched)
	}
	if e.ERPNegativePrices < 1 {
		t.Error("no negative ERP price")
	}
}
