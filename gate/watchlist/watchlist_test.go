package watchlist

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/gate"
)

var testKey = bytes.Repeat([]byte{7}, 32)

// secret is a document number that must never appear in an error.
const secret = "L898902C3"

func TestRefMatchesDocRef(t *testing.T) {
	r := RefOf(testKey, "UTO", "P", secret)
	if r.String() != gate.DocRef(testKey, "UTO", "P", secret) {
		t.Fatal("RefOf differs from gate.DocRef")
	}
	// Normalisation is DocRef's: case and '<' fillers do not matter.
	if RefOf(testKey, "uto", "P<", secret+"<<") != r {
		t.Fatal("normalisation differs")
	}
	m := newRefMaker(testKey)
	for _, c := range [][3]string{{"UTO", "P", secret}, {"d<<", "id", "t22000129<"}, {" UTO ", "P", "<1<"}} {
		if m.ref(c[0], c[1], c[2]).String() != gate.DocRef(testKey, c[0], c[1], c[2]) {
			t.Fatalf("refMaker differs from gate.DocRef for %q", c)
		}
	}
	back, err := ParseRef(r.String())
	if err != nil || back != r {
		t.Fatal(back, err)
	}
	if KeyID(testKey) == KeyID(bytes.Repeat([]byte{8}, 32)) || len(KeyID(testKey)) != 16 {
		t.Fatal("key ids")
	}
}

func header(extra string) string {
	return "egate-watchlist 1\nversion 42\nissued 2026-11-23T06:00:00Z\n" + extra
}

func TestReadFile(t *testing.T) {
	pre := RefOf(testKey, "D", "ID", "T22000129")
	tests := []struct {
		name    string
		in      string
		want    []Ref
		wantErr error  // nil: success
		errHas  string // substring of the error
	}{
		{name: "cleartext", in: header("UTO/P/" + secret + "\n# comment\n\nD<</ID/T22000129\n"),
			want: []Ref{RefOf(testKey, "UTO", "P", secret), pre}},
		{name: "crlf and spaces", in: strings.ReplaceAll(header("  UTO/P/"+secret+"  \n"), "\n", "\r\n"),
			want: []Ref{RefOf(testKey, "UTO", "P", secret)}},
		{name: "pre-hashed", in: header("key-id " + KeyID(testKey) + "\nref:" + pre.String() + "\n"), want: []Ref{pre}},
		{name: "upper-case hex", in: header("key-id " + KeyID(testKey) + "\nref:" + strings.ToUpper(pre.String()) + "\n"), want: []Ref{pre}},
		{name: "empty list", in: header(""), want: nil},
		{name: "comments first", in: "# list of 2026-11-23\n" + header(""), want: nil},
		{name: "empty file", in: "", wantErr: ErrSyntax, errHas: "empty"},
		{name: "no magic", in: "version 1\n", wantErr: ErrSyntax, errHas: "line 1"},
		{name: "wrong magic", in: "egate-watchlist 2\nversion 1\n", wantErr: ErrSyntax, errHas: "first line"},
		{name: "no version", in: "egate-watchlist 1\nissued 2026-11-23T06:00:00Z\n", wantErr: ErrSyntax, errHas: "version"},
		{name: "zero version", in: "egate-watchlist 1\nversion 0\n", wantErr: ErrSyntax, errHas: "line 2"},
		{name: "no issued", in: "egate-watchlist 1\nversion 3\n", wantErr: ErrSyntax, errHas: "issued"},
		{name: "bad issued", in: "egate-watchlist 1\nversion 3\nissued yesterday\n", wantErr: ErrSyntax, errHas: "line 3"},
		{name: "twice", in: header("version 5\n"), wantErr: ErrSyntax, errHas: "twice"},
		{name: "unknown header", in: header("colour blue\n"), wantErr: ErrSyntax, errHas: "unknown header"},
		{name: "bad key id", in: header("key-id xyz\n"), wantErr: ErrSyntax, errHas: "key-id"},
		{name: "other lane's key", in: header("key-id " + KeyID([]byte("other")) + "\n"), wantErr: ErrKeyMismatch},
		{name: "ref without key id", in: header("ref:" + pre.String() + "\n"), wantErr: ErrKeyMismatch, errHas: "line 4"},
		{name: "short ref", in: header("key-id " + KeyID(testKey) + "\nref:abcd\n"), wantErr: ErrSyntax, errHas: "line 5"},
		{name: "two fields", in: header("UTO/" + secret + "\n"), wantErr: ErrSyntax, errHas: "line 4"},
		{name: "bad state", in: header("UT0/P/" + secret + "\n"), wantErr: ErrSyntax, errHas: "issuing state"},
		{name: "long type", in: header("UTO/PPP/" + secret + "\n"), wantErr: ErrSyntax, errHas: "document type"},
		{name: "filler number", in: header("UTO/P/<<<\n"), wantErr: ErrSyntax, errHas: "document number"},
		{name: "space in number", in: header("UTO/P/L898 902C3\n"), wantErr: ErrSyntax, errHas: "line 4"},
		{name: "header after entries", in: header("UTO/P/" + secret + "\nversion 7\n"), wantErr: ErrSyntax, errHas: "line 5"},
		{name: "long line", in: header(strings.Repeat("A", 5000) + "\n"), wantErr: ErrSyntax, errHas: "longer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, refs, err := ReadAll(strings.NewReader(tc.in), testKey)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want %v mentioning %q", err, tc.wantErr, tc.errHas)
				}
				if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "902C3") {
					t.Fatalf("error quotes the document number: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Version != 42 || !h.IssuedAt.Equal(time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)) {
				t.Fatalf("header %+v", h)
			}
			if len(refs) != len(tc.want) {
				t.Fatalf("got %d refs, want %d", len(refs), len(tc.want))
			}
			for i := range refs {
				if refs[i] != tc.want[i] {
					t.Fatalf("ref %d differs", i)
				}
			}
		})
	}
}

func TestReaderStopsAfterError(t *testing.T) {
	rd, err := NewReader(strings.NewReader(header("UTO/P/X1\nbad\nUTO/P/X2\n")), testKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Next(); err == nil {
		t.Fatal("bad entry accepted")
	}
	if _, err := rd.Next(); err == nil || err == io.EOF {
		t.Fatalf("reader went on after an error: %v", err)
	}
}

const deltaOK = `{"format":"egate-watchlist-delta 1","version":43,"issued":"2026-11-23T07:00:00Z",
	"add":["UTO/P/` + secret + `"],"remove":["D/ID/T22000129"]}`

func TestParseDelta(t *testing.T) {
	pre := RefOf(testKey, "D", "ID", "T22000129")
	kid := KeyID(testKey)
	tests := []struct {
		name    string
		in      string
		wantErr error
		errHas  string
	}{
		{name: "ok", in: deltaOK},
		{name: "pre-hashed", in: `{"format":"egate-watchlist-delta 1","version":2,"issued":"2026-11-23T07:00:00.5+01:00","key_id":"` + kid + `","add":[],"remove":["ref:` + pre.String() + `"]}`},
		{name: "heartbeat", in: `{"format":"egate-watchlist-delta 1","version":2,"issued":"2026-11-23T07:00:00Z","add":[],"remove":[]}`},
		{name: "not json", in: `add UTO/P/` + secret, wantErr: ErrSyntax, errHas: "invalid JSON"},
		{name: "truncated", in: deltaOK[:40], wantErr: ErrSyntax},
		{name: "trailing", in: deltaOK + `{}`, wantErr: ErrSyntax, errHas: "trailing"},
		{name: "unknown field", in: strings.Replace(deltaOK, `"add"`, `"`+secret+`":1,"add"`, 1), wantErr: ErrSyntax, errHas: "unknown field"},
		{name: "wrong type", in: strings.Replace(deltaOK, `43`, `"43"`, 1), wantErr: ErrSyntax, errHas: "version"},
		{name: "format", in: strings.Replace(deltaOK, `delta 1`, `delta 2`, 1), wantErr: ErrSyntax, errHas: "format"},
		{name: "zero version", in: strings.Replace(deltaOK, `43`, `0`, 1), wantErr: ErrSyntax, errHas: "version"},
		{name: "bad issued", in: strings.Replace(deltaOK, `2026-11-23T07:00:00Z`, `today`, 1), wantErr: ErrSyntax, errHas: "issued"},
		{name: "bad entry", in: strings.Replace(deltaOK, `UTO/P/`+secret, `UTO-P-`+secret, 1), wantErr: ErrSyntax, errHas: "add[0]"},
		{name: "ref without key id", in: strings.Replace(deltaOK, `D/ID/T22000129`, `ref:`+pre.String(), 1), wantErr: ErrKeyMismatch, errHas: "remove[0]"},
		{name: "other key", in: strings.Replace(deltaOK, `"add"`, `"key_id":"`+KeyID([]byte("x"))+`","add"`, 1), wantErr: ErrKeyMismatch},
		{name: "add and remove", in: strings.Replace(deltaOK, `D/ID/T22000129`, `uto/P/`+secret, 1), wantErr: ErrSyntax, errHas: "both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDelta([]byte(tc.in), testKey)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want %v mentioning %q", err, tc.wantErr, tc.errHas)
				}
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error quotes the document number: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.KeyID != kid || d.Version == 0 {
				t.Fatalf("delta %+v", d)
			}
			// Round trip through the pre-hashed wire form.
			b, err := EncodeDelta(d)
			if err != nil {
				t.Fatal(err)
			}
			d2, err := ParseDelta(b, testKey)
			if err != nil || !sameDelta(d, d2) {
				t.Fatalf("round trip: %v\n%+v\n%+v", err, d, d2)
			}
		})
	}
	d, _ := ParseDelta([]byte(deltaOK), testKey)
	if len(d.Add) != 1 || d.Add[0] != RefOf(testKey, "UTO", "P", secret) || len(d.Remove) != 1 || d.Remove[0] != pre {
		t.Fatalf("entries %+v", d)
	}
	if _, err := ParseDelta([]byte(deltaOK), nil); err == nil {
		t.Fatal("parsed without a key")
	}
}

func sameDelta(a, b Delta) bool {
	if a.Version != b.Version || !a.IssuedAt.Equal(b.IssuedAt) || a.KeyID != b.KeyID ||
		len(a.Add) != len(b.Add) || len(a.Remove) != len(b.Remove) {
		return false
	}
	for i := range a.Add {
		if a.Add[i] != b.Add[i] {
			return false
		}
	}
	for i := range a.Remove {
		if a.Remove[i] != b.Remove[i] {
			return false
		}
	}
	return true
}

func TestDeltaValidate(t *testing.T) {
	r := RefOf(testKey, "UTO", "P", "X1")
	ok := Delta{Version: 1, IssuedAt: time.Now(), KeyID: KeyID(testKey), Add: []Ref{r}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]Delta{
		"no version": {IssuedAt: time.Now(), KeyID: "k"},
		"no time":    {Version: 1, KeyID: "k"},
		"no key":     {Version: 1, IssuedAt: time.Now()},
		"both":       {Version: 1, IssuedAt: time.Now(), KeyID: "k", Add: []Ref{r}, Remove: []Ref{r}},
		"too big":    {Version: 1, IssuedAt: time.Now(), KeyID: "k", Add: make([]Ref, MaxDeltaEntries+1)},
	} {
		if err := d.Validate(); !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestStatusAge(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	if (Status{}).Loaded() {
		t.Fatal("empty status loaded")
	}
	s := Status{Version: 3, IssuedAt: now.Add(-time.Hour)}
	if s.Age(now) != time.Hour {
		t.Fatal(s.Age(now))
	}
	if (Status{Version: 3, IssuedAt: now.Add(time.Hour)}).Age(now) != 0 {
		t.Fatal("future list has an age")
	}
}

// TestNoCgo keeps this package importable by mqtt/ without cgo.
func TestNoCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.CgoFiles}}", ".").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v %s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "sqlite") || strings.Contains(line, "gocv") || strings.Contains(line, "gate/store") {
			t.Errorf("forbidden dependency: %s", line)
		}
	}
}

func FuzzReadFile(f *testing.F) {
	pre := RefOf(testKey, "D", "ID", "T22000129")
	f.Add(header("UTO/P/" + secret + "\n"))
	f.Add(header("key-id " + KeyID(testKey) + "\nref:" + pre.String() + "\n"))
	f.Add(header("version 5\n"))
	f.Add("egate-watchlist 1\n")
	f.Add(header("UTO/P/<<<\n"))
	f.Fuzz(func(t *testing.T, s string) {
		h, refs, err := ReadAll(strings.NewReader(s), testKey)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrKeyMismatch) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if h.Version == 0 || h.IssuedAt.IsZero() {
			t.Fatalf("accepted a header without version or issue time: %+v", h)
		}
		if h.KeyID != "" && h.KeyID != KeyID(testKey) {
			t.Fatal("accepted another lane's key id")
		}
		_ = refs
	})
}

func FuzzParseDelta(f *testing.F) {
	pre := RefOf(testKey, "D", "ID", "T22000129")
	f.Add(deltaOK)
	f.Add(`{"format":"egate-watchlist-delta 1","version":2,"issued":"2026-11-23T07:00:00Z","key_id":"` + KeyID(testKey) + `","add":["ref:` + pre.String() + `"],"remove":[]}`)
	f.Add(`{}`)
	f.Add(`{"format":"egate-watchlist-delta 1","version":1}`)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDelta([]byte(s), testKey)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrKeyMismatch) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("accepted an invalid delta: %v", err)
		}
		b, err := EncodeDelta(d)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := ParseDelta(b, testKey)
		if err != nil || !sameDelta(d, d2) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}
