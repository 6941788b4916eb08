package readopt

import "testing"

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "2MB": 2_000_000, "512 kib": 512 << 10, "1.5GB": 1_500_000_000, "8gb": 8_000_000_000, "3 GiB": 3 << 30} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "2 parsecs", "-1", "0", "1e30"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		}
	}
	if got := FormatSize(8_000_000_000); got != "8 GB" {
		t.Errorf("formatSize = %q", got)
	}
}

func TestEncoding(t *testing.T) {
	for _, name := range []string{"", "UTF-8", "utf8"} {
		if e, ok := Encoding(name); !ok || e != nil {
			t.Errorf("Encoding(%q) = %v, %v; want UTF-8", name, e, ok)
		}
	}
	for _, name := range []string{"latin-1", "Latin1", "ISO-8859-1", "windows-1252", "cp1252", "iso-8859-15"} {
		if e, ok := Encoding(name); !ok || e == nil {
			t.Errorf("Encoding(%q) = %v, %v", name, e, ok)
		}
	}
	if _, ok := Encoding("klingon"); ok {
		t.Error("Encoding(klingon) is known")
	}
}

// UTF16 names the byte order each UTF-16 encoding name reads.
func TestUTF16(t *testing.T) {
	for name, want := range map[string]string{"utf-16": "bom", "UTF-16": "bom", "utf-16le": "le", "UTF-16BE": "be", "latin-1": "", "utf-8": "", "klingon": ""} {
		got, ok := UTF16(name)
		if got != want || ok != (want != "") {
			t.Errorf("UTF16(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}
