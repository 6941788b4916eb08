package jinja

// The syntax tree. Every node records the byte offset in its template's
// source where it starts; positions become file:line:col only when a
// diagnostic or a callback needs one.

// Expr is an expression node.
type Expr interface{ pos() int }

// Stmt is a statement node: template text, an output or a tag.
type Stmt interface{ pos() int }

type (
	// constExpr is a literal: nil, bool, int, float64 or string.
	constExpr struct {
		p   int
		val any
	}
	nameExpr struct {
		p    int
		name string
	}
	listExpr struct {
		p     int
		items []Expr
	}
	tupleExpr struct {
		p     int
		items []Expr
	}
	dictExpr struct {
		p          int
		keys, vals []Expr
	}
	getattrExpr struct {
		p    int // of the attribute name
		x    Expr
		name string
	}
	getitemExpr struct {
		p     int
		x     Expr
		index Expr
	}
	// sliceExpr is lo:hi:step inside a subscript; absent parts are nil.
	sliceExpr struct {
		p            int
		lo, hi, step Expr
	}
	// callExpr is a call; it also holds the arguments of filters and tests.
	callExpr struct {
		p    int
		fn   Expr
		args argList
	}
	filterExpr struct {
		p    int // of the filter's name
		x    Expr
		name string
		args argList
	}
	testExpr struct {
		p      int // of the test's name
		x      Expr
		name   string
		negate bool
		args   argList
	}
	unaryExpr struct {
		p  int
		op string // "-", "+", "not"
		x  Expr
	}
	binaryExpr struct {
		p    int // of the operator
		op   string
		l, r Expr
	}
	// compareExpr is a chain such as a < b <= c.
	compareExpr struct {
		p     int
		first Expr
		ops   []cmpOp
	}
	condExpr struct {
		p               int
		cond, then, els Expr // els is nil for "x if c"
	}
)

// cmpOp is one link of a comparison chain.
type cmpOp struct {
	p  int
	op string // ==, !=, <, <=, >, >=, in, notin
	x  Expr
}

// argList holds a call's arguments: positional, keyword, *args and
// **kwargs.
type argList struct {
	pos    []Expr
	kw     []kwArg
	star   Expr
	dstar  Expr
	hasAny bool
}

type kwArg struct {
	p    int // the offset of the name
	name string
	x    Expr
}

func (e *constExpr) pos() int   { return e.p }
func (e *nameExpr) pos() int    { return e.p }
func (e *listExpr) pos() int    { return e.p }
func (e *tupleExpr) pos() int   { return e.p }
func (e *dictExpr) pos() int    { return e.p }
func (e *getattrExpr) pos() int { return e.p }
func (e *getitemExpr) pos() int { return e.p }
func (e *sliceExpr) pos() int   { return e.p }
func (e *callExpr) pos() int    { return e.p }
func (e *filterExpr) pos() int  { return e.p }
func (e *testExpr) pos() int    { return e.p }
func (e *unaryExpr) pos() int   { return e.p }
func (e *binaryExpr) pos() int  { return e.p }
func (e *compareExpr) pos() int { return e.p }
func (e *condExpr) pos() int    { return e.p }

// target is the left side of an assignment or a for loop: a name, a tuple
// of targets, or (for set) a namespace attribute.
type target struct {
	p     int
	name  string   // a plain name
	items []target // a tuple
	attr  string   // with name: the namespace attribute name.attr
	tuple bool
}

// param is a macro parameter with its optional default.
type param struct {
	p    int
	name string
	def  Expr
}

type (
	textStmt struct {
		p int
		s string
	}
	outputStmt struct {
		p int
		x Expr
	}
	ifStmt struct {
		p      int
		conds  []Expr
		bodies [][]Stmt
		els    []Stmt
	}
	forStmt struct {
		p         int
		target    target
		iter      Expr
		filter    Expr
		recursive bool
		body, els []Stmt
	}
	setStmt struct {
		p      int
		target target
		x      Expr
	}
	setBlockStmt struct {
		p       int
		target  target
		filters []*filterExpr // applied in order, their x is nil
		body    []Stmt
	}
	macroStmt struct {
		p    int
		def  *MacroDef
		kind string // "macro", "test", "materialization", "docs"
	}
	callBlockStmt struct {
		p      int
		call   *callExpr
		caller *MacroDef
	}
	filterBlockStmt struct {
		p       int
		filters []*filterExpr
		body    []Stmt
	}
	withStmt struct {
		p       int
		targets []target
		vals    []Expr
		body    []Stmt
	}
	doStmt struct {
		p int
		x Expr
	}
	breakStmt    struct{ p int }
	continueStmt struct{ p int }
)

func (s *textStmt) pos() int        { return s.p }
func (s *outputStmt) pos() int      { return s.p }
func (s *ifStmt) pos() int          { return s.p }
func (s *forStmt) pos() int         { return s.p }
func (s *setStmt) pos() int         { return s.p }
func (s *setBlockStmt) pos() int    { return s.p }
func (s *macroStmt) pos() int       { return s.p }
func (s *callBlockStmt) pos() int   { return s.p }
func (s *filterBlockStmt) pos() int { return s.p }
func (s *withStmt) pos() int        { return s.p }
func (s *doStmt) pos() int          { return s.p }
func (s *breakStmt) pos() int       { return s.p }
func (s *continueStmt) pos() int    { return s.p }

// MacroDef is a parsed macro: its name, parameters and body, and whether
// the body reads the special names caller, varargs and kwargs (Jinja2
// accepts extra arguments only then).
type MacroDef struct {
	Name   string
	Params []param
	Body   []Stmt
	// Tmpl is the template that defines the macro.
	Tmpl *Template
	// Pos is the byte offset of the tag's keyword (macro, test, ...).
	Pos int

	usesCaller, usesVarargs, usesKwargs bool
}
