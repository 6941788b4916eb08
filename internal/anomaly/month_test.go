package anomaly

import (
	"testing"
	"time"
)

func TestMonth(t *testing.T) {
	for in, want := range map[string]string{"2024-03": "2024-03", "2024-12-31": "2024-12", "2025-01-01 10:00:00": "2025-01", " 2023-07 ": "2023-07"} {
		m, err := ParseMonth(in)
		if err != nil || m.String() != want {
			t.Errorf("ParseMonth(%q) = %v, %v; want %s", in, m, err, want)
		}
	}
	for _, in := range []string{"", "2024", "2024-13", "2024-00", "24-03", "March 2024", "2024-03x"} {
		if _, err := ParseMonth(in); err == nil {
			t.Errorf("ParseMonth(%q) accepted", in)
		}
	}
	m, _ := ParseMonth("2024-01")
	if (m-1).String() != "2023-12" || (m-12).String() != "2023-01" {
		t.Errorf("month arithmetic: %v, %v", m-1, m-12)
	}
	if got := MonthOf(time.Date(2024, 2, 29, 23, 0, 0, 0, time.UTC)); got.String() != "2024-02" || got.Of() != time.February || got.Year() != 2024 {
		t.Errorf("MonthOf = %v", got)
	}
}
