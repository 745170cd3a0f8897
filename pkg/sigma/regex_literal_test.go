package sigma

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/secpipe/secpipe/pkg/shareddata"
)

// A regular expression's hint must admit every text the expression
// matches: checked for the SigmaHQ corpus's expressions against the string
// values of its regression events and of real Windows event logs, and
// against hand-picked cases of lengths, alternatives and case.
func TestRegexHintAdmitsEveryMatch(t *testing.T) {
	cases := []struct{ re, text string }{
		{`\s[a-fA-F0-9]{4}\s`, " beef "},
		{`a{3}|bc`, "bc"},
		{`(?i)\$\{env:path\}`, "${ENV:PATH}"},
		{"\\w+`x`", "ab`x`"},
		{`(?i)KEY`, "\u212aey"},           // the Kelvin sign folds to k
		{`(?i)cms`, "c m \u017fcm\u017f"}, // and the long s to s
		{`^.{2}$`, "éé"},
		{`x?`, ""},
		{`\\[a-z]{1,3}\.[a-z]{1,6}\.[ "']`, `C:\ab.cd." x`},
		{`x+\.[ "']`, `xxx.'`},
		{`(?i)k\.[a-f0-9]{3}`, "\u212a.0aF"},
		{`\s[a-fA-F0-9]{20}\s`, " 0123456789abcdefABCD\t"},
		{`"(?:\{\d\})+"\s*-f`, `"{0}{1}" -f`},
		{`(x[ab]){2,}y`, `xaxbxay`},
	}
	for _, c := range cases {
		re := regexp.MustCompile(c.re)
		if !re.MatchString(c.text) {
			t.Fatalf("%s does not match %q", c.re, c.text)
		}
		h := newRegexHint(re)
		if !h.admits([]byte(c.text), appendLower(nil, []byte(c.text))) {
			t.Errorf("%s: hint %+v refuses %q, which it matches", c.re, h, c.text)
		}
	}

	corpus := shareddata.Dir(t, "sigma")
	rules, _ := LoadPaths([]string{filepath.Join(corpus, "rules"), filepath.Join(corpus, "rules-emerging-threats"), filepath.Join(corpus, "rules-threat-hunting")})
	var res []*regexp.Regexp
	seen := map[string]bool{}
	for _, r := range rules {
		if r.Detection == nil {
			continue
		}
		x, err := compileDetection(r.Detection, nil)
		if err != nil {
			continue
		}
		walkTests(x, func(ft *fieldTest) {
			if ft.op == opRegex && !seen[ft.re.String()] {
				seen[ft.re.String()] = true
				res = append(res, ft.re)
			}
		})
	}
	var texts []string
	addStrings := func(v any) {
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				texts = append(texts, v)
			case map[string]any:
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(v)
	}
	regression, _ := filepath.Glob(filepath.Join(corpus, "regression", "*", "*", "*", "*", "*.json"))
	more, _ := filepath.Glob(filepath.Join(corpus, "regression", "*", "*", "*", "*", "*", "*.json"))
	for _, path := range append(regression, more...) {
		doc, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if json.Unmarshal(doc, &v) == nil {
			addStrings(v)
		}
	}
	files, _ := filepath.Glob(filepath.Join(shareddata.Dir(t, "realdata", "evtx-to-mitre", "events"), "*.jsonl"))
	for _, path := range files {
		for _, line := range firstLines(t, path, 5) {
			var v any
			if json.Unmarshal(line, &v) == nil {
				addStrings(v)
			}
		}
	}
	slices.Sort(texts)
	texts = slices.Compact(texts)

	matched, refused := 0, 0
	for _, re := range res {
		h := newRegexHint(re)
		for _, text := range texts {
			b := []byte(text)
			ok := h.admits(b, appendLower(nil, b))
			if re.Match(b) {
				matched++
				if !ok {
					t.Errorf("%s: hint %+v refuses %q, which it matches", re, h, text)
				}
			} else if !ok {
				refused++
			}
		}
	}
	t.Logf("%d expressions, %d texts: %d matches, %d texts refused by the hint", len(res), len(texts), matched, refused)
	if matched < 50 || len(res) < 100 {
		t.Fatalf("too little to check: %d expressions matched %d times", len(res), matched)
	}
}

// walkTests calls f for every field test of an expression.
func walkTests(x expr, f func(*fieldTest)) {
	switch x := x.(type) {
	case andExpr:
		for _, k := range x {
			walkTests(k, f)
		}
	case orExpr:
		for _, k := range x {
			walkTests(k, f)
		}
	case notExpr:
		walkTests(x.x, f)
	case *fieldTest:
		f(x)
	}
}

// A hint refuses texts that hold the expression's literals but not the
// bytes it needs in a row: without it, the first two expressions ran on a
// third of gen's Windows events and matched none.
func TestRegexHintRefusesWithoutTheRun(t *testing.T) {
	for _, c := range []struct{ re, text string }{
		{`\\[a-zA-Z0-9]{1,32}\.[a-zA-Z0-9]{1,6}\.[ "']{1}`, `"C:\Windows\System32\cmd.exe" /c dir C:\Users\x.y.z`},
		{`\s[a-fA-F0-9]{64}\s[a-fA-F0-9]{16}`, `certutil -hashfile C:\Users\alice\Downloads\setup-x64.exe SHA256 {01234567-89ab-cdef-0123-456789abcdef}`},
		{`a+b`, `aaa b`},
		{`"(?:\{\d\})+"\s*-f`, `powershell -c "x{0}y{1}z" -replace "x" -f 'a','b'`},
		{` [0-7]{7,13}`, `chmod 0755 /tmp/x 012345 8`},
	} {
		h := newRegexHint(regexp.MustCompile(c.re))
		if h.admits([]byte(c.text), appendLower(nil, []byte(c.text))) {
			t.Errorf("%s: hint %+v admits %q", c.re, h, c.text)
		}
	}
}
