package sample

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
)

// PremiumZ is the z-score above which a joined product is a premium wine.
const PremiumZ = 2.0

// premiumMargin is the least distance kept between any joined product's
// z-score and PremiumZ, so that the premium count does not depend on how a
// pipeline rounds (DOUBLE or DECIMAL, population or sample variance aside).
const premiumMargin = 0.02

// drawPrice draws an ordinary bottle price in cents, 4.90 to 85.00 euros
// (median about 22), with the real export's precision: about a quarter
// in whole euros, nearly all the rest in tenths, 1% with two decimals.
func drawPrice(r *rand.Rand) int64 {
	e := math.Exp(math.Log(22) + 0.6*r.NormFloat64())
	c := int64(math.Round(min(85, max(4.9, e)) * 10)) // tenths
	switch u := r.Float64(); {
	case u < 0.26:
		return (c + 5) / 10 * 100
	case u < 0.99:
		return c * 10
	default:
		return c*10 + 5
	}
}

// setPrices prices every ERP product: ordinary prices, a few premium
// bottles (100 to 230 euros, 30 per 714 joined products, at least 2) and a
// few prices with two decimals (4 per 714, at least 1) among the joined
// ones, 25 euros for the gift card, and a few negative prices (-1 to -9
// euros, 2 per 825 products, at least 1) among offline products without
// id_web.
func (p *plan) setPrices(r *rand.Rand) {
	var joined, offline []int
	for i := range p.erp {
		p.erp[i].price = drawPrice(r)
		switch p.erp[i].kind {
		case kindJoined:
			joined = append(joined, i)
		case kindOfflineNoID:
			offline = append(offline, i)
		}
	}
	for _, i := range joined {
		if p.items[p.erp[i].item].flags&flagGiftCard != 0 {
			p.erp[i].price = 2500
		}
	}
	premium := per(len(joined), 30, realJoined, 2)
	for range premium {
		for {
			e := &p.erp[joined[r.IntN(len(joined))]]
			if e.price < 10000 && p.items[e.item].flags&flagGiftCard == 0 {
				e.price = 10000 + r.Int64N(131)*100
				if r.IntN(2) == 0 {
					e.price += r.Int64N(10) * 10
				}
				break
			}
		}
	}
	for range per(len(joined), 4, realJoined, 1) { // two decimals, as 4 of the real prices
		for {
			e := &p.erp[joined[r.IntN(len(joined))]]
			if e.price%10 == 0 && e.price < 10000 && p.items[e.item].flags&flagGiftCard == 0 {
				e.price += 5
				break
			}
		}
	}
	for range min(len(offline), per(len(p.erp), 2, realERP, 1)) {
		p.erp[offline[r.IntN(len(offline))]].price = -100 * (1 + r.Int64N(9))
	}
}

// setStock sets stock_quantity and stock_status: in stock with 1 to ~580
// bottles or out of stock with 0, plus the real export's inconsistencies:
// the gift card in stock with 0 bottles, a few products out of stock with
// -1 bottle (2 per 825, at least 1, joined ones) and a few out of stock
// with bottles left (5 per 825, at least 1, offline ones).
func (p *plan) setStock(r *rand.Rand) {
	var joined, offline []int
	for i := range p.erp {
		e := &p.erp[i]
		share := 0.8
		switch e.kind {
		case kindJoined:
			joined = append(joined, i)
		case kindOfflineNoID, kindOfflineNotWeb:
			offline = append(offline, i)
			share = 0.6
		}
		e.instock = r.Float64() < share
		if e.instock {
			e.qty = min(578, 1+int32(r.ExpFloat64()*25))
		}
		if e.kind == kindJoined && p.items[e.item].flags&flagGiftCard != 0 {
			e.instock, e.qty = true, 0
		}
	}
	for range per(len(p.erp), 2, realERP, 1) {
		e := &p.erp[joined[r.IntN(len(joined))]]
		if p.items[e.item].flags&flagGiftCard == 0 {
			e.instock, e.qty = false, -1
		}
	}
	for range per(len(p.erp), 5, realERP, 1) {
		e := &p.erp[offline[r.IntN(len(offline))]]
		e.instock, e.qty = false, 1+r.Int32N(20)
	}
}

// priceStats returns the mean and the sample standard deviation (n-1) of
// the joined products' prices, in euros.
func (p *plan) priceStats() (mean, sd float64) {
	var n int
	var sum float64
	for _, e := range p.erp {
		if e.kind == kindJoined {
			n++
			sum += euros(e.price)
		}
	}
	mean = sum / float64(n)
	var ss float64
	for _, e := range p.erp {
		if e.kind == kindJoined {
			d := euros(e.price) - mean
			ss += d * d
		}
	}
	return mean, math.Sqrt(ss / float64(n-1))
}

func euros(cents int64) float64 { return float64(cents) / 100 }

// settlePremium moves the joined prices that sit within premiumMargin of
// the premium threshold away from it (by a tenth of a standard deviation,
// outward), and raises the dearest bottles until at least 2 are premium;
// it returns an error if that does not settle.
func (p *plan) settlePremium() error {
	for range 100 {
		mean, sd := p.priceStats()
		moved := false
		var prices []int64
		premium := 0
		for i := range p.erp {
			e := &p.erp[i]
			if e.kind != kindJoined {
				continue
			}
			z := (euros(e.price) - mean) / sd
			if math.Abs(z-PremiumZ) < premiumMargin {
				step := max(10, int64(math.Ceil(sd*10))/10*10) // ~sd/10, in cents
				if z < PremiumZ {
					step = -step
				}
				e.price = max(490, e.price+step)
				moved = true
			}
			if z > PremiumZ {
				premium++
			}
			prices = append(prices, e.price)
		}
		if premium < 2 {
			slices.Sort(prices)
			floor := prices[len(prices)-2]
			for i := range p.erp {
				if e := &p.erp[i]; e.kind == kindJoined && e.price >= floor {
					e.price = max(e.price, int64(math.Ceil((mean+3*sd)*10))*10)
				}
			}
			moved = true
		}
		if !moved {
			return nil
		}
	}
	return errors.New("sample: the premium threshold did not settle; try another seed")
}
