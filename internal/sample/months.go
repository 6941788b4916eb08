package sample

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// DefaultMonth is the month of DefaultConfig's sample: the last of
// DefaultMonths, and the project's default month (data/sample/2020-08).
const DefaultMonth = "2020-08"

// DefaultMonths are the months of the committed sample, oldest first, each
// in its folder data/sample/<month>; the last is DefaultMonth.
var DefaultMonths = []string{"2020-06", "2020-07", DefaultMonth}

// Month is one generated month of a series.
type Month struct {
	// Name is the month, YYYY-MM, and the name of its folder.
	Name string
	// Expected holds the month's figures, computed from its cells.
	Expected Expected
	// ERP is what erp.xlsx holds, by product_id as written (text): the
	// price in cents and the stock_status.
	ERP map[string]ERPProduct
}

// ERPProduct is one product of a month's erp.xlsx.
type ERPProduct struct {
	PriceCents int64
	Status     string
}

// Changes between two consecutive months of a series, as GenerateMonths
// makes them (each count at least 1, in proportion to the products):
//   - the last month lists one new joined product that earlier months do
//     not have, and lacks one offline product that earlier months have
//     (it left the catalogue);
//   - from one month to the next, a few ordinary wines change price (by 5
//     to 15%) and a few joined products change stock status;
//   - the units sold of every web product that sold differ by -2 to +2
//     (never below 1); those that sold nothing still sell nothing.
//
// The web post dates, titles and texts do not change.

// GenerateMonths writes len(names) consecutive months into dir/<name>/
// (names as YYYY-MM, oldest first) and returns them oldest first. The last
// month is exactly the month Generate writes for cfg; each earlier one is
// the next month with its changes undone (see Changes above), drawn from
// cfg.Seed. It returns an error for the errors of Generate, when names is
// empty, or when a month's prices put a z-score within the premium margin
// of PremiumZ (try another seed).
func GenerateMonths(dir string, cfg Config, names []string) ([]Month, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("sample: no month to generate")
	}
	for _, n := range names {
		if _, err := time.Parse("2006-01", n); err != nil || len(n) != 7 {
			return nil, fmt.Errorf("sample: month %q is not YYYY-MM", n)
		}
	}
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	p, err := newPlan(cfg)
	if err != nil {
		return nil, err
	}
	plans := make([]*plan, len(names))
	plans[len(names)-1] = p
	for i := len(names) - 2; i >= 0; i-- {
		r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6d6f6e7468<<8|uint64(i)))
		plans[i] = plans[i+1].previous(r, i == len(names)-2)
	}
	out := make([]Month, len(names))
	for i, p := range plans {
		t, err := p.write(filepath.Join(dir, names[i]))
		if err != nil {
			return nil, err
		}
		e := t.result()
		if e.PremiumMargin < premiumMargin {
			return nil, fmt.Errorf("sample: month %s has a z-score within %.2f of %g; try another seed", names[i], premiumMargin, PremiumZ)
		}
		m := Month{Name: names[i], Expected: e, ERP: make(map[string]ERPProduct, len(t.erp))}
		for id, price := range t.erp {
			m.ERP[id] = ERPProduct{PriceCents: price, Status: t.status[id]}
		}
		out[i] = m
	}
	return out, nil
}

// previous returns the month before p: a copy with p's changes undone.
// With catalogue, p's new product is absent and a product p no longer
// has is added (offline, without id_web).
func (p *plan) previous(r *rand.Rand, catalogue bool) *plan {
	q := &plan{cfg: p.cfg, erp: slices.Clone(p.erp), items: slices.Clone(p.items), rows: p.rows}
	var ordinary, joined []int
	for i, e := range q.erp {
		if e.kind != kindJoined || e.absent || q.items[e.item].flags&flagGiftCard != 0 {
			continue
		}
		joined = append(joined, i)
		if e.price < 10000 {
			ordinary = append(ordinary, i)
		}
	}
	n := len(q.erp)
	if catalogue {
		// The newest product: an ordinary wine with a title of its own.
		for _, i := range ordinary {
			if q.items[q.erp[i].item].flags&(flagTitleBase|flagTitleCopy) == 0 {
				q.erp[i].absent = true
				ordinary = slices.DeleteFunc(ordinary, func(j int) bool { return j == i })
				joined = slices.DeleteFunc(joined, func(j int) bool { return j == i })
				break
			}
		}
		last := q.erp[n-1].id
		for _, e := range q.erp {
			last = max(last, e.id)
		}
		q.erp = append(q.erp, erpRow{id: last + 2, kind: kindOfflineNoID, price: drawPrice(r), qty: 3, instock: true, item: -1})
	}
	for range per(n, 3, 60, 1) {
		e := &q.erp[ordinary[r.IntN(len(ordinary))]]
		step := 1 + r.Float64()*2 // 5 to 15%
		if r.IntN(2) == 0 {
			step = -step
		}
		e.price = max(490, (e.price+e.price*int64(5*step)/100)/10*10)
	}
	for range per(n, 2, 60, 1) {
		e := &q.erp[joined[r.IntN(len(joined))]]
		e.instock = !e.instock
		e.qty = 0
		if e.instock {
			e.qty = 1 + r.Int32N(30)
		}
	}
	for i := range q.items {
		it := &q.items[i]
		same := it.sales == it.attSales
		if it.sales > 0 {
			it.sales = max(1, it.sales+r.Int32N(5)-2)
		}
		switch {
		case same:
			it.attSales = it.sales
		case it.attSales == it.sales:
			it.attSales++
		}
	}
	return q
}

// monthTable writes the figures of months side by side as a Markdown
// table: figure, one column per month, definition.
func monthTable(months []Month) string {
	head, sep := "| figure |", "|---|"
	for _, m := range months {
		head += " " + m.Name + " |"
		sep += "---:|"
	}
	s := head + " definition |\n" + sep + "---|\n"
	for r, f := range months[0].Expected.figures() {
		s += "| " + f[0] + " |"
		for _, m := range months {
			s += " " + m.Expected.figures()[r][1] + " |"
		}
		s += " " + f[2] + " |\n"
	}
	return s
}

// changes lists, for each month after the first, the products whose price
// or stock status differ from the month before, and those that came or
// left, as Markdown lines.
func changes(months []Month) string {
	s := ""
	for i := 1; i < len(months); i++ {
		a, b := months[i-1].ERP, months[i].ERP
		var price, stock, added, gone []string
		for _, id := range sortedIDs(b) {
			old, ok := a[id]
			switch {
			case !ok:
				added = append(added, id)
			case old.PriceCents != b[id].PriceCents:
				price = append(price, fmt.Sprintf("%s (%s -> %s)", id, money(old.PriceCents), money(b[id].PriceCents)))
			}
			if ok && old.Status != b[id].Status {
				stock = append(stock, fmt.Sprintf("%s (%s -> %s)", id, old.Status, b[id].Status))
			}
		}
		for _, id := range sortedIDs(a) {
			if _, ok := b[id]; !ok {
				gone = append(gone, id)
			}
		}
		s += fmt.Sprintf("- %s: price %s; stock status %s; new %s; gone %s.\n", months[i].Name,
			list(price), list(stock), list(added), list(gone))
	}
	return s
}

func sortedIDs(m map[string]ERPProduct) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		x, _ := strconv.ParseInt(a, 10, 64)
		y, _ := strconv.ParseInt(b, 10, 64)
		return int(x - y)
	})
	return ids
}

func money(cents int64) string {
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	out := s[0]
	for _, x := range s[1:] {
		out += ", " + x
	}
	return out
}
