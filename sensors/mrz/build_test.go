package mrz

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/egate/egate/sensors"
)

// anna is the ICAO specimen holder's data, shared by the specimens.
func anna(f Format) Fields {
	return Fields{
		Format: f, IssuingState: "UTO", Surname: "ERIKSSON", GivenNames: "ANNA MARIA",
		DocumentNumber: "L898902C3", Nationality: "UTO", BirthDate: "740812", Sex: "F", ExpiryDate: "120415",
	}
}

func TestBuildSpecimens(t *testing.T) {
	with := func(f Fields, mod func(*Fields)) Fields { mod(&f); return f }
	visa := func(f Format) Fields {
		return with(anna(f), func(f *Fields) {
			f.DocumentNumber, f.Nationality, f.BirthDate, f.ExpiryDate = "L8988901C", "XXX", "400907", "961210"
		})
	}
	for _, tc := range []struct {
		name string
		in   Fields
		want string
	}{
		{"TD3 (Part 4)", with(anna(TD3), func(f *Fields) { f.OptionalData = "ZE184226B" }), specimenTD3},
		{"TD1 (Part 5)", with(anna(TD1), func(f *Fields) { f.DocumentNumber = "D23145890" }), specimenTD1},
		{"TD2 (Part 6)", with(anna(TD2), func(f *Fields) { f.DocumentNumber = "D23145890" }), specimenTD2},
		{"MRV-A (Part 7)", with(visa(MRVA), func(f *Fields) { f.OptionalData = "6ZE184226B" }), specimenMRVA},
		{"MRV-B (Part 7)", visa(MRVB), specimenMRVB},
		{"TD1 long number, Part 11 (same digit both ways)", Fields{
			Format: TD1, IssuingState: "UTO", DocumentNumber: "D23145890734", BirthDate: "340712", Sex: "M",
			ExpiryDate: "950712", Nationality: "UTO", Surname: "STEVENSON", GivenNames: "PETER JOHN",
		}, lines("I<UTOD23145890<7349<<<<<<<<<<<", "3407127M9507122UTO<<<<<<<<<<<2", "STEVENSON<<PETER<JOHN<<<<<<<<<")},
		{"TD1 long number with the filler (BEL)", Fields{
			Format: TD1, DocumentCode: "ID", IssuingState: "BEL", DocumentNumber: "000590240601", LongNumberWithFiller: true,
			BirthDate: "800101", Sex: "F", ExpiryDate: "300101", Nationality: "BEL", Surname: "DUPONT", GivenNames: "MARIE",
		}, lines("IDBEL000590240<6013<<<<<<<<<<<", "8001014F3001019BEL<<<<<<<<<<<4", "DUPONT<<MARIE<<<<<<<<<<<<<<<<<")},
		{"TD1 long number with the filler, optional data after it", Fields{
			Format: TD1, DocumentCode: "ID", IssuingState: "BEL", DocumentNumber: "000590240601", LongNumberWithFiller: true,
			OptionalData1: "ABC12", OptionalData2: "XYZ",
			BirthDate: "800101", Sex: "F", ExpiryDate: "300101", Nationality: "BEL", Surname: "DUPONT", GivenNames: "MARIE",
		}, lines("IDBEL000590240<6013<ABC12<<<<<", "8001014F3001019BELXYZ<<<<<<<<0", "DUPONT<<MARIE<<<<<<<<<<<<<<<<<")},
		{"TD1 long number with letters (PRT)", Fields{
			Format: TD1, IssuingState: "PRT", DocumentNumber: "000024759ZZ7",
			BirthDate: "801010", Sex: "M", ExpiryDate: "200601", Nationality: "PRT", Surname: "DA SILVA", GivenNames: "JOAO",
		}, lines("I<PRT000024759<ZZ70<<<<<<<<<<<", "8010100M2006017PRT<<<<<<<<<<<2", "DA<SILVA<<JOAO<<<<<<<<<<<<<<<<")},
		{"TD2 long number", with(anna(TD2), func(f *Fields) { f.DocumentNumber = "D23145890734" }),
			lines("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D23145890<UTO7408122F12041597349<<<2")},
		{"sex X and D<<", Fields{
			Format: TD3, IssuingState: "D", Surname: "MUSTERMANN", GivenNames: "ERIKA", DocumentNumber: "C01X00T47",
			Nationality: "D", BirthDate: "640812", Sex: "X", ExpiryDate: "310805",
		}, lines("P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<", "C01X00T478D<<6408125X3108055<<<<<<<<<<<<<<08")},
		{"unknown birth day, empty personal number", with(anna(TD3), func(f *Fields) {
			f.BirthDate, f.ExpiryDate = "5601<<", "300415"
		}), lines("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO5601<<0F3004157<<<<<<<<<<<<<<08")},
		{"name cut to the field", with(anna(TD3), func(f *Fields) {
			f.DocumentCode, f.Surname, f.GivenNames, f.TruncateName = "PP", "SCHWARZENEGGER", "ARNOLD ALOIS MAXIMILIAN VON", true
		}), "PPUTOSCHWARZENEGGER<<ARNOLD<ALOIS<MAXIMILIAN\nL898902C36UTO7408122F1204159<<<<<<<<<<<<<<08"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Build(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(got, "\n"); g != tc.want {
				t.Fatalf("Build =\n%s\nwant\n%s", g, tc.want)
			}
			m, err := Parse(got, &Options{Today: today})
			if err != nil {
				t.Fatalf("parse of the built zone: %v", err)
			}
			if tc.in.TruncateName {
				return
			}
			want := tc.in
			want.Surname, want.GivenNames = words(strings.ReplaceAll(want.Surname, " ", "<")), words(strings.ReplaceAll(want.GivenNames, " ", "<"))
			if want.DocumentCode == "" {
				want.DocumentCode = defaultCode(want.Format)
			}
			if m.LongNumber == LongBoth {
				want.LongNumberWithFiller = false
			}
			if got := m.Fields(); !reflect.DeepEqual(got, want) {
				t.Errorf("Fields() =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// Every valid table case is a zone Build gives back from its Fields,
// except the forms Build never writes.
func TestBuildFromParsedFields(t *testing.T) {
	notBuilt := map[string]bool{}
	n := 0
	for _, tc := range parseCases {
		if tc.errs != nil || tc.opts.RepairOCR || tc.opts.FoldCase || notBuilt[tc.name] {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseText(tc.in, &Options{Today: today})
			if err != nil {
				t.Fatal(err)
			}
			got, err := Build(m.Fields())
			if err != nil {
				t.Fatalf("Build(Fields()): %v", err)
			}
			if !slices.Equal(got, m.Lines) {
				t.Errorf("Build(Fields()) =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(m.Lines, "\n"))
			}
		})
		n++
	}
	if n < 30 {
		t.Errorf("only %d valid table cases round-tripped", n)
	}
}

func TestBuildCorrupt(t *testing.T) {
	base := map[Format]Fields{
		TD1: anna(TD1), TD2: anna(TD2), TD3: anna(TD3), MRVA: anna(MRVA), MRVB: anna(MRVB),
	}
	long := anna(TD1)
	long.DocumentNumber = "D23145890734" // same digit both ways: corrupt must miss both
	for _, f := range []Format{TD1, TD2, TD3, MRVA, MRVB} {
		b := base[f]
		if f == MRVA || f == MRVB {
			b.DocumentCode = "V"
		}
		cases := []Fields{b}
		if f == TD1 {
			cases = append(cases, long)
		}
		for _, in := range cases {
			for _, field := range []Field{FieldDocumentNumber, FieldBirthDate, FieldExpiryDate, FieldOptionalData, FieldComposite} {
				in.Corrupt = []Field{field}
				t.Run(f.String()+"/"+in.DocumentNumber+"/"+string(field), func(t *testing.T) {
					ls, err := Build(in)
					has := field != FieldComposite || (f != MRVA && f != MRVB)
					if field == FieldOptionalData {
						has = f == TD3
					}
					if !has {
						if !errors.Is(err, ErrField) {
							t.Fatalf("corrupting a check digit %v lacks: err %v, want ErrField", f, err)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					m, err := Parse(ls, &Options{Today: today})
					if m == nil || len(m.Errors) != 1 || m.Errors[0].Field != field || !errors.Is(err, ErrCheckDigit) {
						t.Fatalf("errors %v, want only %s's check digit", err, field)
					}
				})
			}
		}
	}
	// Several at once.
	in := anna(TD3)
	in.Corrupt = []Field{FieldBirthDate, FieldComposite}
	ls, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := Parse(ls, &Options{Today: today})
	if got := fieldsOf(m.Errors); got != "birth_date composite" {
		t.Errorf("errors on %s, want birth_date composite", got)
	}
}

func fieldsOf(errs Errors) string {
	var out []string
	for _, e := range errs {
		out = append(out, string(e.Field))
	}
	return strings.Join(out, " ")
}

func TestBuildRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Fields)
		want string // fields of the errors
		rule error
	}{
		{"no format", func(f *Fields) { f.Format = FormatUnknown }, "input", ErrGeometry},
		{"empty surname", func(f *Fields) { f.Surname = " " }, "name", ErrField},
		{"lower case name", func(f *Fields) { f.Surname = "Eriksson" }, "name", ErrCharset},
		{"digit in name", func(f *Fields) { f.GivenNames = "ANNA2" }, "name", ErrCharset},
		{"name too long", func(f *Fields) { f.GivenNames = strings.Repeat("A", 40) }, "name", ErrField},
		{"empty number", func(f *Fields) { f.DocumentNumber = "" }, "document_number", ErrField},
		{"number with filler", func(f *Fields) { f.DocumentNumber = "L898<02C3" }, "document_number", ErrCharset},
		{"long number in TD3", func(f *Fields) { f.DocumentNumber = "L898902C30" }, "document_number", ErrField},
		{"long number too long for TD2", func(f *Fields) { f.Format, f.DocumentNumber = TD2, "D231458907345678" }, "document_number", ErrField},
		{"optional data after a long number does not fit", func(f *Fields) {
			f.Format, f.DocumentNumber, f.OptionalData = TD2, "D23145890734", "ABC"
		}, "optional_data", ErrField},
		{"optional data after a long number starts with <", func(f *Fields) {
			f.Format, f.DocumentNumber, f.OptionalData1 = TD1, "D23145890734", "<A"
		}, "optional_data_1", ErrField},
		{"optional data too long", func(f *Fields) { f.OptionalData = strings.Repeat("1", 15) }, "optional_data", ErrField},
		{"optional data charset", func(f *Fields) { f.OptionalData = "AB-1" }, "optional_data", ErrCharset},
		{"TD1 fields on TD3", func(f *Fields) { f.OptionalData2 = "X" }, "optional_data_1", ErrField},
		{"TD3 field on TD1", func(f *Fields) { f.Format, f.OptionalData = TD1, "X" }, "optional_data", ErrField},
		{"visa code on TD3", func(f *Fields) { f.DocumentCode = "V" }, "document_code", ErrField},
		{"passport code on a visa", func(f *Fields) { f.Format, f.DocumentCode = MRVB, "P" }, "document_code", ErrField},
		{"code too long", func(f *Fields) { f.DocumentCode = "PAS" }, "document_code", ErrField},
		{"code charset", func(f *Fields) { f.DocumentCode = "P1" }, "document_code", ErrCharset},
		{"state code empty", func(f *Fields) { f.IssuingState = "" }, "issuing_state", ErrField},
		{"state code digit", func(f *Fields) { f.Nationality = "U1O" }, "nationality", ErrCharset},
		{"birth date shape", func(f *Fields) { f.BirthDate = "7408" }, "birth_date", ErrDate},
		{"expiry date unknown", func(f *Fields) { f.ExpiryDate = "12<<<<" }, "expiry_date", ErrDate},
		{"sex", func(f *Fields) { f.Sex = "Q" }, "sex", ErrField},
		{"corrupt a field without a check digit", func(f *Fields) { f.Corrupt = []Field{FieldName} }, "name", ErrField},
		{"several", func(f *Fields) { f.Surname, f.Sex = "", "male" }, "name sex", ErrField},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := anna(TD3)
			tc.mod(&in)
			ls, err := Build(in)
			var errs Errors
			if ls != nil || !errors.As(err, &errs) {
				t.Fatalf("Build = %v, %v; want an Errors", ls, err)
			}
			if got := fieldsOf(errs); got != tc.want || !errors.Is(err, tc.rule) {
				t.Errorf("errors %v, want on %q wrapping %v", err, tc.want, tc.rule)
			}
			for _, e := range errs {
				if strings.Contains(e.Message, "ERIKSSON") || strings.Contains(e.Message, "L898") {
					t.Errorf("message quotes the content: %q", e.Message)
				}
			}
		})
	}
}

func TestDocument(t *testing.T) {
	m, err := ParseText(specimenTD3, &Options{Today: today})
	if err != nil {
		t.Fatal(err)
	}
	want := sensors.Document{
		Type: "P", IssuingState: "UTO", Number: "L898902C3", Nationality: "UTO",
		Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Sex: "F",
		BirthDate:  time.Date(1974, 8, 12, 0, 0, 0, 0, time.UTC),
		ExpiryDate: time.Date(2012, 4, 15, 0, 0, 0, 0, time.UTC),
		MRZValid:   true,
	}
	if got := m.Document(); !reflect.DeepEqual(got, want) {
		t.Errorf("Document() =\n%+v\nwant\n%+v", got, want)
	}

	// Invalid: filled as far as the zone allows, MRZValid false; a birth
	// date with unknown parts and a long number.
	ls, _ := Build(Fields{Format: TD1, IssuingState: "D", DocumentNumber: "D23145890734", BirthDate: "5601<<",
		ExpiryDate: "300101", Nationality: "D", Surname: "MUSTERMANN", Corrupt: []Field{FieldComposite}})
	m, _ = Parse(ls, &Options{Today: today})
	d := m.Document()
	if d.MRZValid || d.Type != "I" || d.Number != "D23145890734" || d.IssuingState != "D" || d.Sex != "X" ||
		!d.BirthDate.IsZero() || !d.ExpiryDate.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || d.Chip != nil {
		t.Errorf("Document() of an invalid zone = %+v", d)
	}
	// An impossible expiry date is zero.
	m, _ = ParseText(replace(specimenTD3, 2, 24, '3'), &Options{Today: today})
	if d := m.Document(); !d.ExpiryDate.IsZero() || d.MRZValid {
		t.Errorf("impossible expiry: %+v", d)
	}
	if d := (*MRZ)(nil).Document(); !reflect.DeepEqual(d, sensors.Document{}) {
		t.Errorf("nil MRZ: %+v", d)
	}
}

// The simulated lane's path: a scenario document becomes a zone and comes
// back from the parser unchanged.
func TestFieldsOfDocument(t *testing.T) {
	doc := sensors.Document{
		Type: "P", IssuingState: "UTO", Number: "X12345678", Nationality: "UTO", Surname: "SILVA",
		GivenNames: "BRUNO", Sex: "M", MRZValid: true,
		BirthDate:  time.Date(1950, 2, 28, 0, 0, 0, 0, time.UTC),
		ExpiryDate: time.Date(2029, 12, 1, 0, 0, 0, 0, time.UTC),
	}
	for _, f := range []Format{TD1, TD2, TD3} {
		doc.Type = "P"
		if f != TD3 {
			doc.Type = "I"
		}
		ls, err := Build(FieldsOf(doc, f))
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(ls, &Options{Today: today})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Document(); !reflect.DeepEqual(got, doc) {
			t.Errorf("%v: Document() = %+v, want %+v", f, got, doc)
		}
	}
	if YYMMDD(time.Time{}) != "<<<<<<" || YYMMDD(doc.BirthDate) != "500228" {
		t.Error("YYMMDD")
	}
}
