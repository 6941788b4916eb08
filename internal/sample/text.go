package sample

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Invented names, in the style of a French wine merchant's catalogue.
var (
	producers = []string{
		"Château Vallombre", "Château de la Brède-Haute", "Château Roc de Lisse",
		"Château Les Ormeaux", "Château Belle-Côte", "Château La Croix Ferrand",
		"Domaine des Aubiers", "Domaine de la Combe Sèche", "Domaine Pellerin-Rey",
		"Domaine du Grand Tertre", "Domaine Éloïse Marchand", "Domaine des Sept Chênes",
		"Domaine Lucien Aubry", "Domaine Hélène Vasseur", "Clos des Amandiers",
		"Clos Saint-Vérand", "Maison Delorme Frères", "Mas de l'Ermitage",
		"Cave de Saint-Désert", "Domaine Fontaine-Garnier",
	}
	appellations = []string{
		"Pomerol", "Saint-Emilion Grand Cru", "Margaux", "Pauillac", "Bordeaux Blanc",
		"Côte Rôtie", "Condrieu", "Saint-Joseph", "Crozes-Hermitage", "Vacqueyras",
		"Gigondas", "Châteauneuf-du-Pape", "Sancerre", "Pouilly-Fumé", "Vouvray",
		"Chablis 1er Cru", "Meursault", "Volnay", "Pommard", "Gevrey-Chambertin",
		"Mâcon-Villages", "Bandol", "Cahors", "Madiran", "Jurançon Sec", "Patrimonio",
		"Alsace Riesling Grand Cru", "Champagne Brut", "Terrasses du Larzac",
		"Côtes du Roussillon",
	}
	cuvees = []string{
		"", "", "", "", "Vieilles Vignes", "Cuvée Prestige", "Les Terrasses",
		"La Réserve", "Clos de l'Église", "Blanc", "Les Galets", "L'Ancienne",
		"Sélection Parcellaire", "Hommage",
	}
	sentences = []string{
		"Un nez expressif de fruits rouges, de cassis et d'épices douces.",
		"La bouche est ample, soyeuse, portée par des tanins fins et une belle fraîcheur.",
		"Issu de vieilles vignes sur un terroir d'argile et de calcaire, il est élevé douze mois en fût.",
		"Une robe profonde, des arômes de fruits noirs, de réglisse et de violette.",
		"Un blanc tendu et minéral, aux notes d'agrumes et de fleurs blanches.",
		"À servir sur une volaille rôtie, un fromage affiné ou simplement à l'apéritif.",
		"Un vin de garde qui gagnera à patienter cinq à dix ans en cave.",
		"Le domaine, conduit en agriculture biologique depuis 2008, vendange à la main.",
		"« Un vin d’une rare élégance », dit le vigneron, « à partager entre amis ».",
		"Assemblage de Grenache (70%), Syrah (20%) et Mourvèdre (10%)\u00a0; la finale est longue et épicée.",
		"Un vin racé, charnu et gourmand\u00a0!",
		"Les raisins, récoltés à pleine maturité, sont triés deux fois avant d’être pressés.",
		"Une matière dense mais digeste, où le fruit l’emporte sur le bois.",
		"Parfait dès aujourd’hui, il saura aussi vieillir avec grâce.",
	}
)

// excerpt layouts seen in the real export: plain text, a styled span, the
// page builder's nested divs (several lines), bold lines, a quoted lead.
const (
	spanStyle = `<span style="float: none; color: #000000; font-family: Georgia,'Times New Roman',Times,Serif; font-size: 12px; text-align: justify;">`
	divOpen   = "<div class=\"wpb_text_column wpb_content_element \">\n<div class=\"wpb_wrapper\">\n\n"
	divClose  = "\n\n</div>\n</div>\n<div class=\"vc_empty_space\"></div>\n&nbsp;"
	giftTitle = "Bon cadeau de 25€"
	giftName  = "bon-cadeau-de-25-euros"
	giftText  = "<span style=\"color: #a85253;\"><strong>Le cadeau idéal pour les amateurs de vin.</strong>\n<strong>Valable un an sur toute la boutique.</strong></span>"
)

// text is what the two rows of a web item show besides the numbers.
type text struct {
	title, name, excerpt string
	author               int64
	// Excel serials: post_date, post_date_gmt, post_modified, post_modified_gmt.
	date, dateGMT, mod, modGMT float64
}

// itemRand returns the source of item i's text, independent of the order
// in which items are written, so both twins show the same text.
func (p *plan) itemRand(i int32, salt uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(p.cfg.Seed), uint64(i)<<8|salt))
}

func (p *plan) describe(i int32) text {
	it := p.items[i]
	var t text
	if it.flags&flagGiftCard != 0 {
		t.title, t.name, t.excerpt, t.author = giftTitle, giftName, giftText, 1
	} else {
		t.title, t.author = p.title(it.titleOf), 2
		t.name = slug(t.title)
		if it.flags&flagTitleCopy != 0 {
			t.name += "-2"
		}
		t.excerpt = excerpt(p.itemRand(i, 2))
	}
	r := p.itemRand(i, 3)
	from := time.Date(2018, 2, 8, 8, 0, 0, 0, time.UTC)
	posted := from.Add(time.Duration(r.Int64N(int64(893*24*time.Hour))) / time.Second * time.Second)
	end := time.Date(2020, 8, 27, 18, 0, 0, 0, time.UTC)
	modified := posted.Add(time.Duration(r.Int64N(int64(end.Sub(posted)))) / time.Second * time.Second)
	t.dateGMT, t.date = serial(posted), serial(paris(posted))
	t.modGMT, t.mod = serial(modified), serial(paris(modified))
	return t
}

// title returns the wine name of item i: producer, appellation, an
// optional cuvée and a vintage, as "Château Vallombre Pomerol 2017".
func (p *plan) title(i int32) string {
	r := p.itemRand(i, 1)
	parts := []string{producers[r.IntN(len(producers))], appellations[r.IntN(len(appellations))]}
	if c := cuvees[r.IntN(len(cuvees))]; c != "" {
		parts = append(parts, c)
	}
	vintage := 2019 - min(r.IntN(6), r.IntN(15))
	return strings.Join(append(parts, strconv.Itoa(vintage)), " ")
}

func excerpt(r *rand.Rand) string {
	n := 2 + r.IntN(5)
	s := make([]string, n)
	for i := range s {
		s[i] = sentences[r.IntN(len(sentences))]
	}
	switch u := r.Float64(); {
	case u < 0.45:
		return strings.Join(s, " ")
	case u < 0.70:
		return spanStyle + strings.Join(s, " ") + "</span>"
	case u < 0.85:
		return divOpen + strings.Join(s, " ") + divClose
	case u < 0.95:
		return "<strong>" + s[0] + "</strong>\n" + strings.Join(s[1:], "\n\n")
	default:
		return `"` + s[0] + `" <span class="font5">` + strings.Join(s[1:], " ") + "\u00a0</span>"
	}
}

// slug turns a title into a WordPress post_name: lower case ASCII, accents
// dropped, apostrophes removed, other runs of non-alphanumerics as "-".
func slug(title string) string {
	fold := strings.NewReplacer("à", "a", "â", "a", "ç", "c", "é", "e", "è", "e", "ê", "e",
		"ë", "e", "î", "i", "ï", "i", "ô", "o", "û", "u", "ù", "u", "É", "e", "'", "", "’", "")
	var b strings.Builder
	dash := false
	for _, c := range fold.Replace(strings.ToLower(title)) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// paris converts a UTC time to the wall clock of Paris (CET, CEST from the
// last Sunday of March to the last Sunday of October, at 01:00 UTC).
func paris(t time.Time) time.Time {
	lastSunday := func(m time.Month) time.Time {
		d := time.Date(t.Year(), m+1, 1, 1, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
		return d.AddDate(0, 0, -int(d.Weekday()))
	}
	if !t.Before(lastSunday(time.March)) && t.Before(lastSunday(time.October)) {
		return t.Add(2 * time.Hour)
	}
	return t.Add(time.Hour)
}

// serial returns the Excel date serial of t's wall clock: days since
// 1899-12-30, the fraction being the time of day.
func serial(t time.Time) float64 {
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	return float64(t.Sub(epoch)/time.Second) / 86400
}
