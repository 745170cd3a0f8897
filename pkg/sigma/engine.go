package sigma

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"sync"

	"github.com/secpipe/secpipe/pkg/event"
)

// Options tune how rules are compiled.
type Options struct {
	// Placeholders gives the values of %name% placeholders (the expand modifier).
	Placeholders map[string][]string
	// NoValueCache scans every value afresh (see valueCache): for
	// measuring the matcher alone.
	NoValueCache bool
}

// Problem reports a rule that is not used, and why.
type Problem struct {
	Rule *Rule // nil when the file could not be parsed
	Err  error
}

func (p Problem) Error() string {
	if p.Rule == nil {
		return p.Err.Error()
	}
	return p.Rule.Ref() + ": " + p.Err.Error()
}

// Unsupported reports whether the rule uses a feature the engine lacks (as
// opposed to being invalid).
func (p Problem) Unsupported() bool {
	var u *UnsupportedError
	return errors.As(p.Err, &u)
}

// Engine is a compiled set of rules bound to a mapping. It is shared; each
// goroutine matches with a Matcher of its own. The fields every rule reads
// get their event slots at once, but a source's rules are bound to them
// only when its first event comes: most sources of a mapping never see an
// event of a given log.
type Engine struct {
	Rules   []*Rule // detection and correlation rules in use, by index
	mapping *Mapping
	paths   *event.Paths
	sources []*boundSource
	corrs   []*corrRule
	exprs   []expr // detection rules' expressions, by index in Rules
	// standalone[i] tells whether detection rule i tags events by itself
	// (false for a rule used only by correlations, unless they say generate).
	standalone []bool
	allSlot    int // pseudo-slot for keyword searches over every string
	// automata are shared by the sources whose rules test the same
	// literals (ECS, lab and evtx process creation events, for instance).
	automata     map[string]*sharedAutomaton
	automataMu   sync.Mutex // sources are bound concurrently
	noValueCache bool       // Options.NoValueCache
}

// sharedAutomaton is an automaton built once for every source that needs it.
type sharedAutomaton struct {
	once sync.Once
	id   int
	set  *literalSet
}

// automaton returns the automaton of a list of patterns, built once; it is
// safe for concurrent use.
func (e *Engine) automaton(patterns []string) *literalSet {
	if len(patterns) == 0 {
		return nil
	}
	key := strings.Join(patterns, "\x00")
	e.automataMu.Lock()
	a, ok := e.automata[key]
	if !ok {
		if e.automata == nil {
			e.automata = map[string]*sharedAutomaton{}
		}
		a = &sharedAutomaton{id: len(e.automata)}
		e.automata[key] = a
	}
	e.automataMu.Unlock()
	a.once.Do(func() {
		a.set = newLiteralSet(patterns)
		a.set.id = a.id
	})
	return a.set
}

// NewEngine compiles rules against mapping. Rules that cannot be used are
// returned as problems; the others make the engine.
func NewEngine(rules []*Rule, mapping *Mapping, opts Options) (*Engine, []Problem) {
	e := &Engine{mapping: mapping, paths: event.NewPaths(), allSlot: -2, noValueCache: opts.NoValueCache}
	var problems []Problem
	if err := mapping.Check(); err != nil {
		problems = append(problems, Problem{Err: fmt.Errorf("mapping: %w", err)})
	}

	// Detection rules.
	type detRule struct {
		rule *Rule
		x    expr
	}
	var dets []*detRule
	byRef := map[string][]int{} // id or name -> indexes in e.Rules
	compiled := make([]expr, len(rules))
	compileErrs := make([]error, len(rules))
	onAllCPUs(len(rules), func(i int) {
		if rules[i].Detection != nil {
			compiled[i], compileErrs[i] = compileDetection(rules[i].Detection, opts.Placeholders)
		}
	})
	for i, r := range rules {
		if r.Detection == nil {
			continue
		}
		if compileErrs[i] != nil {
			problems = append(problems, Problem{Rule: r, Err: compileErrs[i]})
			continue
		}
		dets = append(dets, &detRule{rule: r, x: compiled[i]})
	}
	// Filters exclude matches of the rules they name.
	for _, r := range rules {
		if r.Filter == nil {
			continue
		}
		fx, err := compileDetection(r.Filter.Detection, opts.Placeholders)
		if err != nil {
			problems = append(problems, Problem{Rule: r, Err: err})
			continue
		}
		applied := 0
		for _, d := range dets {
			for _, ref := range r.Filter.Rules {
				if ref == d.rule.ID || (ref == d.rule.Name && ref != "") {
					d.x = andExpr{d.x, notExpr{fx}}
					applied++
				}
			}
		}
		if applied == 0 {
			problems = append(problems, Problem{Rule: r, Err: errors.New("filter names no loaded rule")})
		}
	}
	for _, d := range dets {
		idx := len(e.Rules)
		e.Rules = append(e.Rules, d.rule)
		e.standalone = append(e.standalone, true)
		for _, ref := range []string{d.rule.ID, d.rule.Name} {
			if ref != "" {
				byRef[ref] = append(byRef[ref], idx)
			}
		}
	}
	e.exprs = make([]expr, len(dets))
	for i, d := range dets {
		e.exprs[i] = d.x
	}

	// Correlation rules; they may refer to each other, in any order.
	corrProblems := e.compileCorrelations(rules, byRef)
	problems = append(problems, corrProblems...)

	// Resolve the fields of every detection rule on every source that
	// provides its logsource, the sources on all CPUs, then give the fields
	// event slots in source order, so that slots do not depend on timing.
	binders := make([]*binder, len(mapping.Sources))
	errs := make([]error, len(mapping.Sources))
	onAllCPUs(len(binders), func(i int) {
		binders[i], errs[i] = e.prepareSource(mapping.Sources[i])
	})
	for i, src := range mapping.Sources {
		if errs[i] != nil {
			problems = append(problems, Problem{Err: fmt.Errorf("mapping source %s: %w", src.Name, errs[i])})
			continue
		}
		bs := binders[i].placeSlots()
		bs.index = len(e.sources)
		e.sources = append(e.sources, bs)
	}
	setSkips(e.sources)
	setDispatch(e.sources)
	return e, problems
}

// setSkips gives each needed slot group of each source the next source that
// does not need the same group: an event without a value there matches none
// of the sources in between.
func setSkips(sources []*boundSource) {
	for i := len(sources) - 1; i >= 0; i-- {
		s := sources[i]
		s.skip = make([]int, len(s.needs))
		for k, group := range s.needs {
			s.skip[k] = i + 1
			if i+1 == len(sources) {
				continue
			}
			next := sources[i+1]
			for k2, g2 := range next.needs {
				if slices.Equal(group, g2) {
					s.skip[k] = next.skip[k2]
					break
				}
			}
		}
	}
}

// Paths returns the event paths the engine reads.
func (e *Engine) Paths() *event.Paths { return e.paths }

// Standalone reports whether detection rule i tags events by itself.
func (e *Engine) Standalone(i int) bool { return i < len(e.standalone) && e.standalone[i] }

// Sources returns the names of the mapping sources and how many rules apply
// to each. It binds every source's rules.
func (e *Engine) Sources() map[string]int {
	out := map[string]int{}
	for _, s := range e.sources {
		out[s.src.Name] = len(s.boundRules())
	}
	return out
}

// Applicable reports whether some mapping source can feed detection rule
// rule. It binds every source's rules.
func (e *Engine) Applicable(rule int) bool {
	for _, s := range e.sources {
		for _, br := range s.boundRules() {
			if br.index == rule {
				return true
			}
		}
	}
	return false
}

// node is a detection bound to a source: a boolean tree over pattern hits
// (literal tests done by the source's automata) and direct tests.
type node struct {
	kind nodeKind
	kids []*node
	pid  int32 // nodeLit: pattern id in the source
	need uint8 // nodeLit: hit flags required
	test *boundTest
}

type nodeKind uint8

const (
	nodeFalse nodeKind = iota
	nodeTrue
	nodeAnd
	nodeOr
	nodeNot
	nodeLit
	nodeTest
)

// Hit flags of a literal pattern in a field's values.
const (
	hitAny   uint8 = 1
	hitStart uint8 = 2
	hitEnd   uint8 = 4
	hitExact uint8 = 8
)

// boundTest is a field test with its field resolved to event slots.
type boundTest struct {
	t     *fieldTest
	slots []int // event slots of the field; allSlot for keyword searches
	refs  []int // opFieldRef: slots of the referenced field
}

// fieldKey is a set of slots matched by the same automata.
type fieldKey struct {
	slots  []int
	ciPats []string // lowered patterns, matched against lowered values
	ciPids []int32
	csPats []string // cased patterns, matched against values as they are
	csPids []int32
	ci, cs *literalSet
	// raw, for a keyword search's key: its literals as JSON writes them,
	// to rule out events whose text holds none (Matcher.rawRulesOut).
	raw   *literalSet
	index map[patternKey]int32
}

// patternKey names a literal of a field key: its text, and whether it is
// matched as cased or against lowered values.
type patternKey struct {
	lit   string
	cased bool
}

type boundRule struct {
	index int // into Engine.Rules
	root  *node
	links []corrLink // correlations fed by this rule
}

// boundSource is a mapping source with its "when" and its fields resolved;
// the rest is filled in by bind, when the source's first event comes.
type boundSource struct {
	index    int // in Engine.sources
	src      *Source
	schema   *Schema
	whenTree *node
	when     program // compiled whenTree
	needs    [][]int // groups of slots: "when" is false unless each group has a value
	skip     []int   // by group of needs: the next source to try when the group has none
	tsSlots  []int
	applies  []int // detection rules whose logsource the source provides
	// dispatch, for a source in a run of sources selected by one field's
	// value: the run's index.
	dispatch *dispatch

	once   sync.Once
	binder *binder // until bound
	keys   []*fieldKey
	npat   int
	rules  []*boundRule
	prog   program   // the rules, compiled
	ruleAt []int32   // by rule: its root in prog
	always []int32   // rules evaluated for every event of the source
	byPid  [][]int32 // rules that can only match if a pattern hit: the first anchors
}

// prepareSource resolves the fields that the source's "when" and the rules
// that apply to it read. It may run for several sources at once: the
// fields get slots of the binder's own, which placeSlots turns into the
// engine's.
func (e *Engine) prepareSource(src *Source) (*binder, error) {
	bs := &boundSource{src: src, schema: e.mapping.Schemas[src.Schema]}
	if bs.schema == nil {
		return nil, fmt.Errorf("unknown schema %q", src.Schema)
	}
	b := &binder{e: e, bs: bs, keys: map[string]*fieldKey{}}
	if src.When != nil {
		wx, err := compileSearch(src.When, nil)
		if err != nil {
			return nil, fmt.Errorf("when: %w", err)
		}
		b.raw = true
		bs.whenTree = simplify(b.bind(wx))
		b.raw = false
	} else {
		bs.whenTree = &node{kind: nodeTrue}
	}
	bs.when.add(bs.whenTree)
	for _, p := range bs.schema.Timestamp {
		bs.tsSlots = append(bs.tsSlots, b.slot(p))
	}
	for i, r := range e.Rules[:len(e.exprs)] {
		if !src.provides(r.Logsource) || slices.Contains(r.SkipSchemas, src.Schema) {
			continue
		}
		bs.applies = append(bs.applies, i)
		b.resolve(e.exprs[i])
		e.linksFor(i, b)
	}
	bs.binder = b
	return b, nil
}

// boundRules binds the source's rules, once, and returns them. It is safe
// for concurrent use.
func (bs *boundSource) boundRules() []*boundRule {
	bs.once.Do(bs.bind)
	return bs.rules
}

// bind binds the rules that apply to the source to the slots of their
// fields, and builds the automata of the literals they test.
func (bs *boundSource) bind() {
	b, e := bs.binder, bs.binder.e
	for _, i := range bs.applies {
		root := simplify(b.bind(e.exprs[i]))
		if root.kind == nodeFalse {
			continue // impossible here, e.g. a fixed field of the source differs
		}
		bs.rules = append(bs.rules, &boundRule{index: i, root: root, links: e.linksFor(i, b)})
		bs.ruleAt = append(bs.ruleAt, bs.prog.add(root))
	}
	for _, k := range bs.keys {
		k.ci = e.automaton(k.ciPats)
		k.cs = e.automaton(k.csPats)
		if len(k.slots) == 1 && k.slots[0] == e.allSlot && len(k.csPats) == 0 {
			if quoted := quotedLiterals(k.ciPats); quoted != nil {
				k.raw = e.automaton(quoted)
			}
		}
	}
	bs.byPid = make([][]int32, bs.npat)
	for ri, br := range bs.rules {
		req := required(br.root, nil)
		if req == nil {
			bs.always = append(bs.always, int32(ri))
			continue
		}
		for _, pid := range req {
			bs.byPid[pid] = append(bs.byPid[pid], int32(ri))
		}
	}
	bs.binder = nil
}

// quotedLiterals returns literals as they appear inside a JSON string that
// escapes only backslashes and quotes, or nil if one is shorter than four
// bytes or holds a byte that is not printable ASCII.
func quotedLiterals(lits []string) []string {
	out := make([]string, len(lits))
	for i, lit := range lits {
		var b strings.Builder
		for j := 0; j < len(lit); j++ {
			c := lit[j]
			if c < 0x20 || c >= 0x7f {
				return nil
			}
			if c == '\\' || c == '"' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		if b.Len() < gramLen {
			return nil
		}
		out[i] = b.String()
	}
	return out
}

// resolve gives a slot to every field a detection reads on the source (but
// the fields the source fixes), so that binding it later adds no path.
func (b *binder) resolve(x expr) {
	switch x := x.(type) {
	case andExpr:
		for _, k := range x {
			b.resolve(k)
		}
	case orExpr:
		for _, k := range x {
			b.resolve(k)
		}
	case notExpr:
		b.resolve(x.x)
	case *fieldTest:
		if _, fixed := b.bs.src.Set[x.field]; fixed && x.field != "" {
			return
		}
		b.slots(x.field)
		if x.op == opFieldRef {
			b.slots(x.ref)
		}
	}
}

// placeSlots gives the source's fields the engine's event slots, in the
// order the source met them, and returns the bound source. Not safe for
// concurrent use: it adds to the engine's paths.
func (b *binder) placeSlots() *boundSource {
	global := make([]int, len(b.paths))
	for i, p := range b.paths {
		global[i] = b.e.paths.Add(p)
	}
	// Every slot list of the source is one of the cache's slices.
	for _, slots := range b.cache {
		for i, s := range slots {
			if s >= 0 {
				slots[i] = global[s]
			}
		}
	}
	bs := b.bs
	for i, s := range bs.tsSlots {
		bs.tsSlots[i] = global[s]
	}
	bs.needs = requiredSlots(bs.whenTree)
	b.placed = true
	return bs
}

// binder resolves the fields of the rules bound to one source. Until
// placeSlots, a slot is the binder's own: an index in paths.
type binder struct {
	e      *Engine
	bs     *boundSource
	keys   map[string]*fieldKey // by slotsKey
	raw    bool                 // a source's "when": tested directly, not through the literal index
	cache  map[string][]int     // slots by field name, shared by every test of the source
	paths  []string             // by the binder's slot
	slotOf map[string]int       // the binder's slot of a path
	placed bool                 // slots are the engine's: no new path may come
	key    []byte               // scratch for slotsKey
}

// slot returns the binder's slot of an event path.
func (b *binder) slot(path string) int {
	if s, ok := b.slotOf[path]; ok {
		return s
	}
	if b.slotOf == nil {
		b.slotOf = map[string]int{}
	}
	s := len(b.paths)
	b.paths = append(b.paths, path)
	b.slotOf[path] = s
	return s
}

// slots returns the event slots where the source puts a field; the slice
// is shared and must not be changed.
func (b *binder) slots(field string) []int {
	if s, ok := b.cache[field]; ok {
		return s
	}
	if b.placed {
		panic(fmt.Sprintf("sigma: source %s binds field %q, which was not resolved", b.bs.src.Name, field))
	}
	var slots []int
	if field == "" {
		slots = []int{b.e.allSlot}
	} else {
		paths := b.e.mapping.paths(b.bs.src, field)
		slots = make([]int, len(paths))
		for i, p := range paths {
			slots[i] = b.slot(p)
		}
	}
	if b.cache == nil {
		b.cache = map[string][]int{}
	}
	b.cache[field] = slots
	return slots
}

// slotsKey returns a set of slots as a map key, in a buffer reused by the
// next call.
func (b *binder) slotsKey(slots []int) []byte {
	b.key = b.key[:0]
	for _, s := range slots {
		b.key = binary.AppendVarint(b.key, int64(s))
	}
	return b.key
}

func (b *binder) bind(x expr) *node {
	switch x := x.(type) {
	case constExpr:
		if x {
			return &node{kind: nodeTrue}
		}
		return &node{kind: nodeFalse}
	case andExpr:
		n := &node{kind: nodeAnd}
		for _, k := range x {
			n.kids = append(n.kids, b.bind(k))
		}
		return n
	case orExpr:
		n := &node{kind: nodeOr}
		for _, k := range x {
			n.kids = append(n.kids, b.bind(k))
		}
		return n
	case notExpr:
		return &node{kind: nodeNot, kids: []*node{b.bind(x.x)}}
	case *fieldTest:
		return b.bindTest(x)
	}
	panic(fmt.Sprintf("sigma: unknown expression %T", x))
}

func (b *binder) bindTest(t *fieldTest) *node {
	// A field the source fixes is decided now.
	if !b.raw && t.field != "" {
		if v, ok := b.bs.src.Set[t.field]; ok {
			if constTest(t, v) {
				return &node{kind: nodeTrue}
			}
			return &node{kind: nodeFalse}
		}
	}
	bt := &boundTest{t: t, slots: b.slots(t.field)}
	if t.op == opFieldRef {
		bt.refs = b.slots(t.ref)
	}
	test := &node{kind: nodeTest, test: bt}
	if b.raw {
		return test
	}
	if t.op == opRegex {
		// A literal the expression requires filters events before it runs.
		lit, fold := regexLiteral(t.re.String())
		if lit == "" {
			return test
		}
		litNode := &node{kind: nodeLit, pid: b.pattern(bt.slots, lit, !fold), need: hitAny}
		return &node{kind: nodeAnd, kids: []*node{litNode, test}}
	}
	if t.op != opMatch {
		return test
	}
	// Literal shapes go to the field's automata; other globs get their
	// longest literal as a prefilter.
	g := t.glob
	if !t.cased {
		g = t.low
	}
	sh, lit := g.shape()
	var need uint8
	switch sh {
	case shapeExact:
		need = hitExact
	case shapePrefix:
		need = hitStart
	case shapeSuffix:
		need = hitEnd
	case shapeContains:
		need = hitAny
	case shapeGlob:
		lit = g.longestLiteral()
		need = hitAny
	}
	if lit == "" {
		return test
	}
	pid := b.pattern(bt.slots, lit, t.cased)
	litNode := &node{kind: nodeLit, pid: pid, need: need}
	if sh == shapeGlob {
		return &node{kind: nodeAnd, kids: []*node{litNode, test}}
	}
	return litNode
}

// pattern registers a literal for a field's automata and returns its id.
func (b *binder) pattern(slots []int, lit string, cased bool) int32 {
	key := b.slotsKey(slots)
	k := b.keys[string(key)]
	if k == nil {
		k = &fieldKey{slots: slots, index: map[patternKey]int32{}}
		b.keys[string(key)] = k
		b.bs.keys = append(b.bs.keys, k)
	}
	ik := patternKey{lit: lit, cased: cased}
	if pid, ok := k.index[ik]; ok {
		return pid
	}
	pid := int32(b.bs.npat)
	b.bs.npat++
	k.index[ik] = pid
	if cased {
		k.csPats, k.csPids = append(k.csPats, lit), append(k.csPids, pid)
	} else {
		k.ciPats, k.ciPids = append(k.ciPats, lit), append(k.ciPids, pid)
	}
	return pid
}

// simplify folds constant subtrees.
func simplify(n *node) *node {
	switch n.kind {
	case nodeAnd, nodeOr:
		var kids []*node
		for _, k := range n.kids {
			k = simplify(k)
			switch {
			case n.kind == nodeAnd && k.kind == nodeFalse, n.kind == nodeOr && k.kind == nodeTrue:
				return k
			case n.kind == nodeAnd && k.kind == nodeTrue, n.kind == nodeOr && k.kind == nodeFalse:
				continue
			}
			kids = append(kids, k)
		}
		switch len(kids) {
		case 0:
			if n.kind == nodeAnd {
				return &node{kind: nodeTrue}
			}
			return &node{kind: nodeFalse}
		case 1:
			return kids[0]
		}
		return &node{kind: n.kind, kids: kids}
	case nodeNot:
		k := simplify(n.kids[0])
		switch k.kind {
		case nodeTrue:
			return &node{kind: nodeFalse}
		case nodeFalse:
			return &node{kind: nodeTrue}
		}
		return &node{kind: nodeNot, kids: []*node{k}}
	}
	return n
}

// requiredSlots returns groups of slots such that n can only be true when
// each group has a value in some slot: a cheap test before evaluating n.
func requiredSlots(n *node) [][]int {
	switch n.kind {
	case nodeAnd:
		var out [][]int
		for _, k := range n.kids {
			out = append(out, requiredSlots(k)...)
		}
		return out
	case nodeOr:
		// A group every alternative needs, as in {Channel: [A, B]}.
		if len(n.kids) == 0 {
			return nil
		}
		var out [][]int
		rest := make([][][]int, len(n.kids)-1)
		for i, k := range n.kids[1:] {
			rest[i] = requiredSlots(k)
		}
	groups:
		for _, g := range requiredSlots(n.kids[0]) {
			for _, r := range rest {
				if !slices.ContainsFunc(r, func(h []int) bool { return slices.Equal(g, h) }) {
					continue groups
				}
			}
			out = append(out, g)
		}
		if len(out) > 0 {
			return out
		}
		// Else a value in one of the alternatives' fields, as in
		// [{program: sshd}, {appname: sshd}].
		var union []int
		for _, k := range n.kids {
			need := requiredSlots(k)
			if len(need) == 0 {
				return nil
			}
			union = append(union, need[0]...)
		}
		slices.Sort(union)
		return [][]int{slices.Compact(union)}
	case nodeTest:
		switch t := n.test.t; t.op {
		case opMatch, opRegex, opCIDR, opNumCmp, opTimePart, opFieldRef:
			for _, s := range n.test.slots {
				if s < 0 {
					return nil
				}
			}
			return [][]int{n.test.slots}
		case opExists:
			if t.exist {
				return [][]int{n.test.slots}
			}
		}
	}
	return nil
}

// constTest evaluates a test against a source's fixed value.
func constTest(t *fieldTest, v string) bool {
	switch t.op {
	case opMatch:
		if t.cased {
			return t.glob.match(v)
		}
		return t.glob.lower().match(lowerString(v))
	case opExists:
		return t.exist
	case opNull:
		return false
	}
	var m Matcher
	return m.testText(t, []byte(v), []byte(lowerString(v)))
}

// ruleKey identifies rules in messages.
func ruleKey(r *Rule) string {
	if r.ID != "" {
		return r.ID
	}
	return strings.ToLower(r.Title)
}
