package docs

import (
	"html"
	"strings"
	"testing"
)

func TestMarkdown(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"Revenue per product, `revenue` = `price` x `total_sales`.",
			"<p>Revenue per product, <code>revenue</code> = <code>price</code> x <code>total_sales</code>.</p>\n"},
		{"<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{"**bold** and *em* and _em_ and snake_case_name", "<p><strong>bold</strong> and <em>em</em> and <em>em</em> and snake_case_name</p>\n"},
		{"a\nb\n\nc", "<p>a b</p>\n<p>c</p>\n"},
		{"# Title\ntext", "<h3>Title</h3>\n<p>text</p>\n"},
		{"- one\n- two `x`\n\n1. first", "<ul>\n<li>one</li>\n<li>two <code>x</code></li>\n</ul>\n<ol>\n<li>first</li>\n</ol>\n"},
		{"```\nselect '<b>'\n```", "<pre><code>select &#39;&lt;b&gt;&#39;</code></pre>\n"},
		{"[docs](https://example.com/a?b=1&c=2)", `<p><a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer">docs</a></p>` + "\n"},
		{"[x](javascript:alert(1))", "<p>x</p>\n"},
		{`[x](" onmouseover="alert(1))`, "<p>x</p>\n"},
		{"[rel](../other.md)", `<p><a href="../other.md" rel="noopener noreferrer">rel</a></p>` + "\n"},
		{`\*not em\*`, "<p>*not em*</p>\n"},
		{"`<img src=x onerror=alert(1)>`", "<p><code>&lt;img src=x onerror=alert(1)&gt;</code></p>\n"},
		{"* item\n  continued", "<ul>\n<li>item continued</li>\n</ul>\n"},
		{"unclosed `code and *star", "<p>unclosed `code and *star</p>\n"},
	} {
		if got := Markdown(c.in); got != c.want {
			t.Errorf("Markdown(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// FuzzMarkdown checks that whatever the input, the output holds only the
// subset's tags and safe links.
func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{"<script>alert(1)</script> **x** [a](b) `c`", "[x](javascript:alert(1))", "# <h1>", "- <li>\n```\n</pre>"} {
		f.Add(s)
	}
	allowed := map[string]bool{}
	for _, tag := range []string{"p", "code", "strong", "em", "a", "ul", "ol", "li", "pre", "h3", "h4", "h5", "h6"} {
		allowed[tag], allowed["/"+tag] = true, true
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Markdown(s)
		for i := strings.IndexByte(out, '<'); i >= 0; i = next(out, i) {
			end := strings.IndexAny(out[i:], " >")
			if end < 0 {
				t.Fatalf("Markdown(%q) = %q: unclosed tag", s, out)
			}
			tag := out[i+1 : i+end]
			if !allowed[tag] {
				t.Fatalf("Markdown(%q) = %q: tag <%s>", s, out, tag)
			}
			if tag == "a" {
				rest := out[i+end:]
				if !strings.HasPrefix(rest, ` href="`) {
					t.Fatalf("Markdown(%q) = %q: <a%s", s, out, rest)
				}
				url := html.UnescapeString(rest[7 : 7+strings.IndexByte(rest[7:], '"')])
				if !safeURL(url) {
					t.Fatalf("Markdown(%q) = %q: unsafe link %q", s, out, url)
				}
			}
		}
	})
}

func next(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '<')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// GitHub's tables, as dbt's docs blocks use them (jaffle_shop's
// orders_status): a header, a delimiter row with alignments, body rows;
// cells are inline Markdown, escaped.
func TestMarkdownTable(t *testing.T) {
	got := Markdown("Statuses:\n\n| status | what |\n|--------|:----:|\n| placed | **not** shipped <b> |\n| a \\| b |\n\nafter")
	want := "<p>Statuses:</p>\n<table>\n<thead><tr><th>status</th><th style=\"text-align:center\">what</th></tr></thead>\n<tbody>\n" +
		"<tr><td>placed</td><td style=\"text-align:center\"><strong>not</strong> shipped &lt;b&gt;</td></tr>\n" +
		"<tr><td>a | b</td><td style=\"text-align:center\"></td></tr>\n</tbody>\n</table>\n<p>after</p>\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// A line with pipes but no delimiter row is a paragraph.
	if got := Markdown("a | b\nc | d"); got != "<p>a | b c | d</p>\n" {
		t.Errorf("got %q", got)
	}
}
