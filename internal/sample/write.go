package sample

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Column names of the three files, in the real order.
var (
	ERPColumns     = []string{"product_id", "onsale_web", "price", "stock_quantity", "stock_status"}
	LiaisonColumns = []string{"product_id", "id_web"}
	WebColumns     = []string{
		"sku", "virtual", "downloadable", "rating_count", "average_rating",
		"total_sales", "tax_status", "tax_class", "post_author", "post_date",
		"post_date_gmt", "post_content", "post_title", "post_excerpt",
		"post_status", "comment_status", "ping_status", "post_password",
		"post_name", "post_modified", "post_modified_gmt",
		"post_content_filtered", "post_parent", "guid", "menu_order",
		"post_type", "post_mime_type", "comment_count",
	}
)

// DateFormat is the number format of the date cells, as in the real export.
const DateFormat = `yyyy\-mm\-dd\ hh:mm:ss`

// docTime is the fixed creation and modification date of the workbooks.
const docTime = "2020-08-31T18:00:00Z"

// site is the web shop's address in guid (an invented host).
const site = "https://www.bottleneck.example/"

// maxSheetRows is the most rows a sheet holds, header included: Excel's
// limit. Past it a file goes on in Sheet2, Sheet3..., each with the header.
var maxSheetRows = excelize.TotalRows

// book writes one workbook row by row, in memory (shared strings) or
// through a StreamWriter (inline strings), and feeds every row to a tally.
type book struct {
	f            *excelize.File
	sw           *excelize.StreamWriter // nil when writing in memory
	file         string                 // ERPFile, WebFile or LiaisonFile
	t            *tally
	columns      []string
	sheet        int    // 1-based sheet number
	name         string // its name: Sheet1, Sheet2...
	next         int    // next row number in the sheet
	left         int    // data rows not yet written
	header, date int    // style IDs
	strs         []string
}

// writeWorkbook writes dir/file: a header row of columns, then the data
// rows that fill writes through the book (rows of them, known in advance),
// in memory or streamed.
func writeWorkbook(dir, file string, stream bool, t *tally, columns []string, rows int, fill func(*book) error) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := f.SetDocProps(&excelize.DocProperties{
		Creator: "kiln gensample", LastModifiedBy: "kiln gensample",
		Created: docTime, Modified: docTime, Title: "BottleNeck synthetic month",
	}); err != nil {
		return err
	}
	b := &book{f: f, file: file, t: t, columns: columns, left: rows}
	if b.header, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "top"},
		Border: []excelize.Border{
			{Type: "left", Style: 1}, {Type: "right", Style: 1},
			{Type: "top", Style: 1}, {Type: "bottom", Style: 1},
		},
	}); err != nil {
		return err
	}
	format := DateFormat
	if b.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &format}); err != nil {
		return err
	}
	if err := b.startSheet(stream); err != nil {
		return err
	}
	if err := fill(b); err != nil {
		return err
	}
	if b.sw != nil {
		if err := b.sw.Flush(); err != nil {
			return err
		}
	}
	out, err := os.Create(filepath.Join(dir, file))
	if err != nil {
		return err
	}
	// Zip straight into the file: excelize's Write and SaveAs would hold
	// the whole archive in a buffer first (hundreds of MB for a big month).
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(out) })
	if _, err := f.WriteToBuffer(); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// startSheet ends the current sheet, if any, opens the next one and writes
// its header row.
func (b *book) startSheet(stream bool) error {
	if b.sw != nil {
		if err := b.sw.Flush(); err != nil {
			return err
		}
	}
	b.sheet++
	b.name = SheetName
	if b.sheet > 1 {
		b.name = "Sheet" + strconv.Itoa(b.sheet)
		if _, err := b.f.NewSheet(b.name); err != nil {
			return err
		}
	}
	// The row count is known before the rows; a streamed sheet takes its
	// dimension only before its first row.
	last, err := excelize.CoordinatesToCellName(len(b.columns), 1+min(b.left, maxSheetRows-1))
	if err != nil {
		return err
	}
	if err := b.f.SetSheetDimension(b.name, "A1:"+last); err != nil {
		return err
	}
	if stream {
		if b.sw, err = b.f.NewStreamWriter(b.name); err != nil {
			return err
		}
	}
	b.next = 1
	cells := make([]any, len(b.columns))
	for i, c := range b.columns {
		cells[i] = excelize.Cell{StyleID: b.header, Value: c}
	}
	return b.put(cells, true)
}

// row writes one data row: int64, float64 and string cells, dates as
// dateCell, nil for no cell.
func (b *book) row(cells ...any) error {
	if b.next > maxSheetRows {
		if err := b.startSheet(b.sw != nil); err != nil {
			return err
		}
	}
	b.left--
	return b.put(cells, false)
}

func (b *book) dateCell(serial float64) excelize.Cell {
	return excelize.Cell{StyleID: b.date, Value: serial}
}

func (b *book) put(cells []any, header bool) error {
	r := b.next
	b.next++
	b.strs = b.strs[:0]
	for _, c := range cells {
		if v, ok := c.(excelize.Cell); ok {
			c = v.Value
		}
		b.strs = append(b.strs, cellString(c))
	}
	b.t.add(b.file, b.strs, header)
	if b.sw != nil {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		return b.sw.SetRow(cell, cells)
	}
	for i, c := range cells {
		if c == nil {
			continue
		}
		cell, err := excelize.CoordinatesToCellName(i+1, r)
		if err != nil {
			return err
		}
		style := 0
		if v, ok := c.(excelize.Cell); ok {
			c, style = v.Value, v.StyleID
		}
		if err := b.f.SetCellValue(b.name, cell, c); err != nil {
			return err
		}
		if style != 0 {
			if err := b.f.SetCellStyle(b.name, cell, cell, style); err != nil {
				return err
			}
		}
	}
	return nil
}

// cellString is a cell's raw value as excelize reads it back.
func cellString(c any) string {
	switch v := c.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	panic(fmt.Sprintf("sample: unexpected cell %T", c))
}

func (p *plan) writeERP(b *book) error {
	for _, e := range p.erp {
		if e.absent {
			continue
		}
		onsale := int64(0)
		if e.kind == kindJoined || e.kind == kindOnlineNoID {
			onsale = 1
		}
		status := "outofstock"
		if e.instock {
			status = "instock"
		}
		if err := b.row(e.id, onsale, euros(e.price), int64(e.qty), status); err != nil {
			return err
		}
	}
	return nil
}

func (p *plan) writeLiaison(b *book) error {
	for _, e := range p.erp {
		if e.absent {
			continue
		}
		id := e.idWeb
		if e.kind == kindJoined {
			id = p.items[e.item].sku
		}
		if err := b.row(e.id, id.cell()); err != nil {
			return err
		}
	}
	return nil
}

func (p *plan) writeWeb(b *book) error {
	zero := int64(0)
	for _, v := range p.rows {
		var err error
		if v < 0 {
			err = b.row(nil, zero, zero, zero)
		} else if p.absentItem(v >> 1) {
			continue
		} else {
			err = b.row(p.webCells(b, v>>1, v&1 == 1)...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// webCells returns the 28 cells of item i's product or attachment row.
func (p *plan) webCells(b *book, i int32, attachment bool) []any {
	it := p.items[i]
	t := p.describe(i)
	zero := int64(0)
	sales, tax, excerpt, postType, mime := int64(it.sales), any("taxable"), any(t.excerpt), "product", any(nil)
	guid := site + "?post_type=product&#038;p=" + it.sku.String()
	if attachment {
		sales, tax, excerpt, postType, mime = int64(it.attSales), nil, nil, "attachment", "image/jpeg"
		guid = site + "wp-content/uploads/2020/03/" + t.name + ".jpg"
	}
	return []any{
		it.sku.cell(), zero, zero, zero, zero,
		sales, tax, nil, t.author, b.dateCell(t.date),
		b.dateCell(t.dateGMT), nil, t.title, excerpt,
		"publish", "closed", "closed", nil,
		t.name, b.dateCell(t.mod), b.dateCell(t.modGMT),
		nil, zero, guid, zero,
		postType, mime, zero,
	}
}
