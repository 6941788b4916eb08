// Package sample generates a synthetic month of BottleNeck's three Excel
// exports (erp.xlsx, web.xlsx, liaison.xlsx) with the schema, the cell kinds
// and the traps of the real files, so that the pipeline builds without them.
//
// The generated month has, like the real export:
//   - one sheet, "Sheet1", with the real column names in the real order;
//   - numbers as numeric cells, text as shared strings, and post_date,
//     post_date_gmt, post_modified and post_modified_gmt as Excel date serials
//     (days since 1899-12-30, local time and UTC) styled with the custom
//     number format `yyyy\-mm\-dd\ hh:mm:ss`;
//   - every web product twice, as post_type "product" and as its image,
//     post_type "attachment" with post_mime_type "image/jpeg" (a few twins
//     disagree on total_sales: only the product row counts);
//   - blank web rows, empty but for zeros in virtual, downloadable and
//     rating_count, one of them among the first rows;
//   - product rows without a sku (and without an image twin);
//   - skus and id_web that look numeric and are numeric cells, but a few are
//     text cells ("bon-cadeau-25-euros", "<sku>-1" re-listings);
//   - liaison rows without an id_web, and offline ERP products mapped to an
//     id_web that is no web product;
//   - long HTML in post_excerpt, often on several lines, with quotes,
//     no-break spaces and "&nbsp;" (post_content is empty, as in the real
//     export);
//   - a few negative ERP prices and stock quantities, and stock_status values
//     that disagree with stock_quantity (all off the joined figures);
//   - a few product titles shared by two skus.
//
// Generation is deterministic: the same Config gives the same cell values
// and, with the same excelize version, byte-identical files (the document
// properties carry a fixed date and nothing reads the clock).
package sample

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File names written by Generate, as in the real export.
const (
	ERPFile     = "erp.xlsx"
	WebFile     = "web.xlsx"
	LiaisonFile = "liaison.xlsx"
	// SheetName is the only sheet of each workbook.
	SheetName = "Sheet1"
)

// Defaults of Config.
const (
	// DefaultProducts is the number of ERP products of the committed sample.
	DefaultProducts = 60
	// DefaultSeed is the seed of the committed sample.
	DefaultSeed = 202008
	// MinProducts is the smallest Products that still holds every trap.
	MinProducts = 20
	// StreamAbove is the Products count above which Generate writes with
	// excelize's StreamWriter: memory stays bounded but text cells become
	// inline strings (t="inlineStr") instead of shared strings.
	StreamAbove = 5000
)

// Config sets the size and the seed of a generated month.
type Config struct {
	// Products is the number of ERP products, that is the data rows of
	// erp.xlsx and of liaison.xlsx; 0 means DefaultProducts. web.xlsx gets
	// about 2.2 rows per product (a product row and an image row for the
	// ~86% that are on the web, plus blank rows).
	//
	// Scale, measured once on a 2-core machine (streamed files):
	// 100,000 products give 183,395 web rows in about 7 s with 120 MB of
	// memory (erp.xlsx 2.3 MB, liaison.xlsx 1.3 MB, web.xlsx 28 MB);
	// 1,000,000 products give 1,833,940 web rows in about 80 s with 770 MB
	// (web.xlsx 278 MB, split over Sheet1 and Sheet2). Memory grows with
	// Products (the plan and the figures, under 1 KB a product) but not
	// with the rows, which go through temporary files.
	//
	// A sheet holds at most 1,048,576 rows (Excel's limit, header
	// included): a file with more data rows goes on in Sheet2, Sheet3...,
	// each starting with the header row. That happens to web.xlsx from
	// about 570,000 products and to the other two above 1,048,575.
	Products int
	// Seed seeds the PCG source (math/rand/v2); the same Config always
	// gives the same cells.
	Seed int64
	// DuplicateProductRows adds that many exact copies of product rows to
	// web.xlsx (the real export has none); they change WebProductRows but
	// not WebProducts, which is de-duplicated by sku.
	DuplicateProductRows int
	// Stream forces the StreamWriter (inline strings) even when Products
	// is at most StreamAbove.
	Stream bool
}

// DefaultConfig returns the configuration of the committed sample in
// data/sample: DefaultProducts products, DefaultSeed.
func DefaultConfig() Config {
	return Config{Products: DefaultProducts, Seed: DefaultSeed}
}

func (c Config) normalized() (Config, error) {
	if c.Products == 0 {
		c.Products = DefaultProducts
	}
	if c.Products < MinProducts {
		return c, fmt.Errorf("sample: %d products is too few to hold every trap; use at least %d", c.Products, MinProducts)
	}
	if c.DuplicateProductRows < 0 {
		return c, errors.New("sample: DuplicateProductRows must not be negative")
	}
	return c, nil
}

// Generate writes erp.xlsx, web.xlsx and liaison.xlsx into dir (created if
// missing, files overwritten) and returns the reference figures of the
// month, computed in Go from the generated rows. It returns an error when
// cfg.Products is below MinProducts or a file cannot be written.
func Generate(dir string, cfg Config) (Expected, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return Expected{}, err
	}
	p, err := newPlan(cfg)
	if err != nil {
		return Expected{}, err
	}
	t, err := p.write(dir)
	if err != nil {
		return Expected{}, err
	}
	return t.result(), nil
}

// write writes p's three workbooks into dir (created if missing, files
// overwritten) and returns the tally of the cells written.
func (p *plan) write(dir string) (*tally, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	stream := p.cfg.Stream || p.cfg.Products > StreamAbove
	t := newTally()
	erpRows, webRows := 0, 0
	for _, e := range p.erp {
		if !e.absent {
			erpRows++
		}
	}
	for _, v := range p.rows {
		if v < 0 || !p.absentItem(v>>1) {
			webRows++
		}
	}
	writers := []struct {
		file    string
		columns []string
		rows    int
		fill    func(*book) error
	}{
		{ERPFile, ERPColumns, erpRows, p.writeERP},
		{LiaisonFile, LiaisonColumns, erpRows, p.writeLiaison},
		{WebFile, WebColumns, webRows, p.writeWeb},
	}
	for _, w := range writers {
		if err := writeWorkbook(dir, w.file, stream, t, w.columns, w.rows, w.fill); err != nil {
			return nil, fmt.Errorf("sample: writing %q: %w", filepath.Join(dir, w.file), err)
		}
	}
	return t, nil
}
