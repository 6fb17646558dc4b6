package mrz_test

import (
	"fmt"
	"time"

	"github.com/egate/egate/sensors/mrz"
)

func ExampleParseText() {
	// The ICAO 9303 Part 4 specimen, as a reader sends it.
	text := "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\r\n" +
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10\r\n"
	today := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m, err := mrz.ParseText(text, &mrz.Options{Today: today})
	if err != nil {
		fmt.Println(err)
		return
	}
	expired, _ := m.Expired(today)
	fmt.Println(m.Format, m.DocumentNumber, m.PrimaryIdentifier, "/", m.SecondaryIdentifier)
	fmt.Println(m.BirthDate.ISO(), m.ExpiryDate.ISO(), "expired:", expired)
	// Output:
	// TD3 L898902C3 ERIKSSON / ANNA MARIA
	// 1974-08-12 2012-04-15 expired: true
}

func ExampleParseText_repair() {
	// A reader took the 0 in the birth date for an O.
	text := "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n" +
		"L898902C36UTO74O8122F1204159ZE184226B<<<<<10"
	m, err := mrz.ParseText(text, &mrz.Options{RepairOCR: true, Today: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	fmt.Println(err, m.Valid())
	for _, r := range m.Repairs {
		fmt.Println(r)
	}
	// Output:
	// <nil> true
	// birth_date: line 2 column 16: 'O' -> '0'
}

func ExampleMRZ_Key() {
	m, _ := mrz.ParseText("I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<", nil)
	key, err := m.Key() // secret: feeds the BAC/PACE key derivation
	fmt.Println(key, err)
	// Output: D23145890774081221204159 <nil>
}

func ExampleBuild() {
	lines, err := mrz.Build(mrz.Fields{
		Format: mrz.TD1, IssuingState: "UTO", DocumentNumber: "D23145890734", // long: overflows
		BirthDate: "340712", Sex: "M", ExpiryDate: "950712", Nationality: "UTO",
		Surname: "STEVENSON", GivenNames: "PETER JOHN",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range lines {
		fmt.Println(l)
	}
	// A zone with a wrong composite check digit, for a test.
	bad, _ := mrz.Build(mrz.Fields{Format: mrz.TD3, IssuingState: "UTO", DocumentNumber: "L898902C3",
		BirthDate: "740812", Sex: "F", ExpiryDate: "120415", Nationality: "UTO", Surname: "ERIKSSON",
		Corrupt: []mrz.Field{mrz.FieldComposite}})
	_, err = mrz.Parse(bad, nil)
	fmt.Println(err)
	// Output:
	// I<UTOD23145890<7349<<<<<<<<<<<
	// 3407127M9507122UTO<<<<<<<<<<<2
	// STEVENSON<<PETER<JOHN<<<<<<<<<
	// mrz: composite: check digit is 1 but the data gives 8 (ICAO 9303 Part 3 §4.9)
}
