package graph

import (
	"regexp"
	"strings"
)

// hexColor is a CSS hex colour of 3 or 6 digits.
var hexColor = regexp.MustCompile(`^#([0-9a-f]{3}){1,2}$`)

// cssColorNames are the CSS named colours (CSS Color Module Level 4's
// list, without the system colours and "transparent").
var cssColorNames = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`aliceblue antiquewhite aqua aquamarine azure beige bisque black
		blanchedalmond blue blueviolet brown burlywood cadetblue chartreuse chocolate coral
		cornflowerblue cornsilk crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen
		darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon
		darkseagreen darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink
		deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro
		ghostwhite gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo
		ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan
		lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen
		lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime limegreen linen
		magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen
		mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream
		mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid
		palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum
		powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown
		seagreen seashell sienna silver skyblue slateblue slategray slategrey snow springgreen
		steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke yellow
		yellowgreen`) {
		cssColorNames[n] = true
	}
}

// ValidNodeColor reports whether s is a colour dbt accepts in
// docs.node_color: a CSS colour name or a hex code (#rgb or #rrggbb),
// in any case, spaces around ignored.
func ValidNodeColor(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return cssColorNames[s] || hexColor.MatchString(s)
}

// DocsShown reports whether the node shows in the docs site's list (its
// docs.show config, dbt's default true) and the colour its graph box is
// drawn in (docs.node_color, "" when none or not a valid colour).
func (n *Node) DocsShown() (show bool, color string) {
	m, _ := n.Config.Extra["docs"].(map[string]any)
	show = true
	if b, ok := m["show"].(bool); ok {
		show = b
	}
	if c, ok := m["node_color"].(string); ok && ValidNodeColor(c) {
		color = strings.TrimSpace(c)
	}
	return show, color
}
