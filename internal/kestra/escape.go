package kestra

import "strings"

// literal makes s print as itself where Kestra renders a field with Pebble
// (https://pebbletemplates.io/wiki/guide/basic-usage/: {{ }} prints an
// expression, {% %} runs a tag, {# #} is a comment). Each opening
// delimiter of s is written as a Pebble expression that prints it, "{{"
// as {{ '{{' }}, so no text kiln takes from the project or the command
// line (a var's default, a model's name or path, the worker folder) can
// evaluate an expression on the Kestra server or change a task's command.
// Closing delimiters need no escape: outside an expression they are text.
func literal(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '{' && i+1 < len(s) && (s[i+1] == '{' || s[i+1] == '%' || s[i+1] == '#') {
			b.WriteString("{{ '{")
			b.WriteByte(s[i+1])
			b.WriteString("' }}")
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
