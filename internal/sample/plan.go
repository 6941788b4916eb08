package sample

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// kind is the place of an ERP product in the join.
type kind uint8

const (
	kindJoined        kind = iota // on sale, id_web is a web product's sku
	kindOnlineNoID                // on sale, no id_web in the liaison file
	kindOfflineNoID               // not on sale, no id_web
	kindOfflineNotWeb             // not on sale, id_web is no web product
)

// sku is a web sku or a liaison id_web: numeric, or text for a few.
type sku struct {
	n    int64  // the number when text is empty; 0 with text empty: no sku
	text string // a text sku such as "bon-cadeau-25-euros" or "13127-1"
}

func (s sku) String() string {
	if s.text != "" {
		return s.text
	}
	if s.n == 0 {
		return ""
	}
	return strconv.FormatInt(s.n, 10)
}

// cell is the value written to the sheet: int64, string, or nil (no cell).
func (s sku) cell() any {
	switch {
	case s.text != "":
		return s.text
	case s.n == 0:
		return nil
	}
	return s.n
}

// erpRow is one row of erp.xlsx and the matching row of liaison.xlsx.
type erpRow struct {
	id      int64
	kind    kind
	price   int64 // cents, negative for a few offline products
	qty     int32
	instock bool
	item    int32 // index in plan.items for kindJoined, else -1
	idWeb   sku   // id_web of kindOfflineNotWeb (others: none or their item's sku)
	absent  bool  // not in this month's exports (see months.go)
}

const (
	flagGiftCard  uint8 = 1 << iota // post_author 1, fixed title
	flagTitleBase                   // another item shows this item's title
	flagTitleCopy                   // shows another item's title, post_name "-2"
)

// item is one web product: a product row and, when it has a sku, its image
// (attachment) row.
type item struct {
	sku      sku   // empty for the product rows without a sku
	erp      int32 // index in plan.erp, -1 for the products without a sku
	sales    int32 // total_sales of the product row
	attSales int32 // total_sales of the attachment row
	titleOf  int32 // index of the item whose title this one shows
	flags    uint8
}

// plan is the whole month before it is written: ERP rows in product_id
// order, web items, and the order of the web rows.
type plan struct {
	cfg   Config
	erp   []erpRow
	items []item
	// rows lists web.xlsx data rows in order: -1 is a blank row, otherwise
	// item<<1 | 1 for an attachment row and item<<1 for a product row.
	rows []int32
}

// Sizes of the real export, the base of the proportions.
const (
	realERP    = 825 // ERP products
	realJoined = 714 // web products joined to the ERP
)

// per returns count*n/of, rounded, and at least floor.
func per(count, n, of, floor int) int {
	return max(floor, int(math.Round(float64(count)*float64(n)/float64(of))))
}

func newPlan(cfg Config) (*plan, error) {
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6b696c6e))
	p := &plan{cfg: cfg}
	n := cfg.Products
	// Proportions of the real export: 91 of 825 liaison rows without id_web
	// (3 of them on sale), 20 offline products mapped to no web product.
	noID := per(n, 91, realERP, 3)
	onlineNoID := per(n, 3, realERP, 1)
	notWeb := per(n, 20, realERP, 2)
	joined := n - noID - notWeb

	kinds := make([]kind, 0, n)
	for range joined {
		kinds = append(kinds, kindJoined)
	}
	for range onlineNoID {
		kinds = append(kinds, kindOnlineNoID)
	}
	for range noID - onlineNoID {
		kinds = append(kinds, kindOfflineNoID)
	}
	for range notWeb {
		kinds = append(kinds, kindOfflineNotWeb)
	}
	r.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })

	// Numeric skus: distinct, increasing with gaps, then shuffled.
	nums := make([]int64, joined+notWeb)
	next := 13000 + r.Int64N(1000)
	for i := range nums {
		nums[i] = next
		next += 1 + r.Int64N(3)
	}
	r.Shuffle(len(nums), func(i, j int) { nums[i], nums[j] = nums[j], nums[i] })

	p.erp = make([]erpRow, n)
	p.items = make([]item, 0, joined+per(joined, 2, realJoined, 2))
	id := int64(3847)
	for i := range p.erp {
		e := &p.erp[i]
		e.id, e.kind, e.item = id, kinds[i], -1
		id++
		if r.IntN(4) == 0 { // product_id has gaps
			id += 1 + r.Int64N(3)
		}
		switch e.kind {
		case kindJoined:
			e.item = int32(len(p.items))
			p.items = append(p.items, item{
				sku: sku{n: nums[0]}, erp: int32(i), titleOf: int32(len(p.items)),
			})
			nums = nums[1:]
		case kindOfflineNotWeb:
			e.idWeb = sku{n: nums[0]}
			nums = nums[1:]
		}
	}
	p.addWebTraps(r, joined)
	p.setPrices(r)
	p.setStock(r)
	if err := p.settlePremium(); err != nil {
		return nil, err
	}
	p.orderWebRows(r)
	return p, nil
}

// absentItem reports whether web item i is left out of this month: its
// ERP product is absent.
func (p *plan) absentItem(i int32) bool {
	it := p.items[i]
	return it.erp >= 0 && p.erp[it.erp].absent
}

// pick returns the index of a random joined item with none of the flags
// in avoid.
func (p *plan) pick(r *rand.Rand, joined int, avoid uint8) int {
	for {
		if i := r.IntN(joined); p.items[i].flags&avoid == 0 {
			return i
		}
	}
}

// shareTitle gives a fresh joined item the title of another one, and
// returns both indexes.
func (p *plan) shareTitle(r *rand.Rand, joined int) (dup, base int) {
	const taken = flagGiftCard | flagTitleBase | flagTitleCopy
	base = p.pick(r, joined, taken)
	p.items[base].flags |= flagTitleBase
	dup = p.pick(r, joined, taken)
	p.items[dup].flags |= flagTitleCopy
	p.items[dup].titleOf = int32(base)
	return dup, base
}

// addWebTraps sets the gift card, the "-1" re-listings (a text sku and the
// title of another product), the other shared titles, the twins that
// disagree on total_sales, the text id_web of an offline product, and adds
// the products without a sku.
func (p *plan) addWebTraps(r *rand.Rand, joined int) {
	for i := range p.items {
		p.items[i].sales = drawSales(r)
		p.items[i].attSales = p.items[i].sales
	}
	g := &p.items[p.pick(r, joined, 0)]
	g.sku, g.flags = sku{text: "bon-cadeau-25-euros"}, flagGiftCard
	for range per(p.cfg.Products, 1, realERP, 1) {
		c, b := p.shareTitle(r, joined)
		p.items[c].sku = sku{text: p.items[b].sku.String() + "-1"}
	}
	for range per(joined, 2, realJoined, 1) {
		p.shareTitle(r, joined)
	}
	for range per(joined, 3, realJoined, 1) {
		it := &p.items[p.pick(r, joined, flagGiftCard)]
		it.sales = 40 + r.Int32N(57)
		it.attSales = 1 + r.Int32N(9)
	}
	for i := range p.erp {
		if e := &p.erp[i]; e.kind == kindOfflineNotWeb {
			e.idWeb = sku{text: e.idWeb.String() + "-1"}
			break
		}
	}
	for range per(joined, 2, realJoined, 2) {
		i := int32(len(p.items))
		s := 1 + r.Int32N(12)
		p.items = append(p.items, item{erp: -1, sales: s, attSales: s, titleOf: i})
	}
}

// drawSales draws total_sales: about 46% zero, then a long tail up to 96.
func drawSales(r *rand.Rand) int32 {
	switch u := r.Float64(); {
	case u < 0.46:
		return 0
	case u < 0.98:
		return min(96, 1+int32(r.ExpFloat64()*5))
	default:
		return 20 + r.Int32N(77)
	}
}

// orderWebRows lays the web rows out: every product row, the attachment
// row of every product with a sku, the duplicated product rows and the
// blank rows, shuffled; then one blank row among the first three rows, and
// the attachment before the product when the twins disagree on total_sales.
func (p *plan) orderWebRows(r *rand.Rand) {
	joined := 0
	for _, it := range p.items {
		if it.erp >= 0 {
			joined++
		}
	}
	blanks := per(joined, 83, realJoined, 2)
	rows := make([]int32, 0, len(p.items)+joined+blanks+p.cfg.DuplicateProductRows)
	for i, it := range p.items {
		rows = append(rows, int32(i)<<1)
		if it.sku.String() != "" {
			rows = append(rows, int32(i)<<1|1)
		}
	}
	for range p.cfg.DuplicateProductRows {
		rows = append(rows, int32(r.IntN(joined))<<1)
	}
	for range blanks {
		rows = append(rows, -1)
	}
	r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	if rows[0] != -1 && rows[1] != -1 && rows[2] != -1 {
		for i, v := range rows {
			if v == -1 {
				rows[1], rows[i] = rows[i], rows[1]
				break
			}
		}
	}
	// First position of each product and attachment row whose twins differ.
	pos := make(map[int32]int)
	for i, v := range rows {
		if v < 0 {
			continue
		}
		if it := p.items[v>>1]; it.sales != it.attSales {
			if _, seen := pos[v]; !seen {
				pos[v] = i
			}
		}
	}
	for i, it := range p.items {
		if it.sales == it.attSales {
			continue
		}
		prod, att := int32(i)<<1, int32(i)<<1|1
		if a, b := pos[att], pos[prod]; a > b {
			rows[a], rows[b] = rows[b], rows[a]
		}
	}
	p.rows = rows
}
