// Package mrz parses the machine readable zone (MRZ) printed on ICAO 9303
// travel documents: passports, identity cards, other official travel
// documents and visas.
//
// Any package may import it: it is pure Go (no cgo; the standard library
// and the plain types of the parent package sensors, which brings in the
// gate's event types), does no I/O and never logs. The gate's document
// check, the MRZ readers under sensors/ and `egatectl mrz` use it.
//
// # Formats
//
// Parse recognises the format from the geometry of the zone and, for the
// two-line formats, from a leading V (ICAO 9303 Part 7):
//
//	TD1   3 x 30   identity cards                       ICAO 9303 Part 5
//	TD2   2 x 36   official travel documents            ICAO 9303 Part 6
//	TD3   2 x 44   passports                            ICAO 9303 Part 4
//	MRVA  2 x 44   visa, format A (document code V...)  ICAO 9303 Part 7
//	MRVB  2 x 36   visa, format B (document code V...)  ICAO 9303 Part 7
//
// The positions of every data element are in layout.go, each tagged with
// the ICAO line and positions.
//
// # Check digits
//
// Every check digit is verified (ICAO 9303 Part 3 §4.9: weights 7, 3, 1,
// A-Z = 10-35, < = 0, modulo 10): document number, date of birth, date of
// expiry, the TD3 personal number and the composite of TD1, TD2 and TD3.
// Visas have no composite and no optional-data check digit; those checks
// are reported as CheckNone, never as passed. An unused TD3 personal
// number may carry < or 0 as its check digit (Part 4). CheckDigit is
// exported for other users of the algorithm.
//
// # Long document numbers
//
// A TD1 or TD2 document number longer than nine characters fills the
// number field, puts < in the check digit position, and continues at the
// start of the optional data, followed by its check digit and a < (ICAO
// 9303 Parts 5 and 6, notes on the document number). Issuers disagree on
// whether that < enters the check digit: Part 11's worked example gives
// the same digit both ways, but real Belgian and Portuguese documents are
// only consistent one way or the other. Both are tried and MRZ.LongNumber
// says which held (LongWithFiller, LongWithoutFiller, LongBoth) or that
// neither did. DocumentNumber is the whole number without the <. TD3 and
// visas have no overflow: a < check digit there is an error.
//
// # Names
//
// The name field splits at the first << into the primary identifier
// (surname) and the secondary identifier (given names); single <
// separate words, which are returned separated by single spaces (ICAO
// 9303 Part 3, names in the MRZ). A name field whose last position is not
// a filler may have been truncated by the issuer: NameTruncated reports it.
// A field that starts with a filler (no primary identifier) or holds
// digits is an error; a run of fillers inside the given names is read as
// one separator and reported as a warning.
//
// # Dates
//
// Dates are YYMMDD. The century is resolved against Options.Today (never
// the wall clock when Today is set): a date of birth is the latest date
// with those digits not after today; a date of expiry lies within
// (Today+ExpiryYearsAhead-100y, Today+ExpiryYearsAhead], by default up to
// twenty years ahead. A birth date that would fall after the expiry date
// moves back a century when the holder would still be under 130.
// Impossible dates (month 13, 30 February, 29 February outside a leap
// year of the resolved century) are errors. Unknown parts of a date of
// birth are printed as fillers (Part 3): "5601<<" is January 1956,
// "<<<<<<" wholly unknown; Date.ISO then gives the reduced ISO 8601 forms
// "1956-01" or "". Expiry dates must be complete.
//
// Expiry is policy, not validity: MRZ.Expired reports it (a document is
// valid through its expiry day) and Valid ignores it.
//
// # Sex
//
// M and F are returned as printed. Unspecified is written < in the MRZ
// and X by some issuers (ICAO 9303 Part 4, line 2 position 21); both are
// returned as SexUnspecified ('X'), so callers see one value for one
// meaning. Anything else is an error.
//
// # State codes
//
// Issuing state and nationality are three characters: letters followed by
// fillers, so Germany's D<< is accepted and returned as "D". Specimen
// (UTO) and the ICAO 9303 Part 3 codes XXA (stateless), XXB and XXC
// (refugees), XXX (unspecified) and the organisation codes are accepted.
// A well-formed code on neither ISO 3166-1 alpha-3 nor the ICAO list is a
// warning (MRZ.Warnings), not an error, since new codes appear faster
// than firmware is updated. The document code is P for TD3, A, C or I for
// TD1 and TD2, and V for visas; its second character is a letter or <.
//
// # Input from devices
//
// ParseText and Normalize accept what readers send: CR, LF or CRLF line
// ends, whitespace around lines, blank lines, or no separator at all (one
// run of 90, 72 or 88 characters is split into 3x30, 2x36 or 2x44). Lower
// case is rejected as outside the character set unless Options.FoldCase is
// set, in which case it is folded and reported. Each such change is a Note
// in MRZ.Notes. Characters outside ASCII become '?' (and are rejected) so
// that error columns stay right.
//
// # OCR repair
//
// With Options.RepairOCR the parser undoes the usual OCR confusions O/0,
// I/1, B/8, S/5 and Z/2, only where a check digit proves the repair:
//
//   - in the dates and in every check digit position, a letter becomes its
//     digit, kept only if the field then satisfies its check digit;
//   - in the alphanumeric document number, confusable characters may swap
//     either way; among the candidates with the fewest swaps that satisfy
//     the check digit exactly one must exist, else nothing changes. (The
//     composite cannot break a tie: the number opens the composite input
//     with the weights of its own check digit.)
//
// Every change is a Repair in MRZ.Repairs with field, line, column and the
// characters; nothing is repaired silently, and nothing without the option.
//
// # Errors
//
// Parse returns the *MRZ, filled as far as the zone allows, and, when the
// zone is not valid, Errors: one FieldError per broken rule naming the
// Field and what is wrong, and wrapping a sentinel (ErrCharset,
// ErrCheckDigit, ErrDate, ErrField), so errors.Is works on the whole list.
// The *MRZ is nil only when the geometry matches no format (ErrGeometry)
// or the options are unusable (ErrOptions). Messages give positions and
// offending characters, never the content of a field.
//
// # Keys for the chip
//
// MRZ.Key returns MRZ_information, the document number, date of birth and
// date of expiry each with its check digit (ICAO 9303 Part 11 §9.7, key
// derivation for BAC and the PACE MRZ password). It needs only those
// three check digits to hold. KeyFromFields builds the same string from
// values typed in by hand.
//
// # Documents
//
// MRZ.Document gives the zone as the gate's sensors.Document: document
// code, states, full document number, names, sex (M, F or X) and the two
// dates as midnight UTC (zero when not wholly known), with MRZValid set
// only for a valid zone. The readers in sensors/mrzreader deliver it.
//
// # Building zones
//
// Build writes the zone of any format from Fields, computing every check
// digit, for tests and the simulated lane: long TD1/TD2 numbers overflow
// into the optional data with their check digit computed with or without
// the filler (Fields.LongNumberWithFiller), an empty TD3 personal number
// gets 0 or < (Fields.FillerCheck), and Fields.Corrupt prints chosen check
// digits wrong, each breaking only its own check. MRZ.Fields is the
// inverse: for a valid zone Build(m.Fields()) gives m.Lines back.
// FieldsOf makes Fields from a sensors.Document. The round trip is fuzzed
// (FuzzBuildRoundTrip).
//
// # Corpus
//
// testdata/corpus.jsonl holds zones of every format, valid and invalid,
// each labelled with what a correct parser reports; TestCorpus keeps it
// in step with its generator in corpus_test.go (-update rewrites it) and
// checks this package against every label, BenchmarkParseCorpus parses
// it, and `make mrz-bench` (sensors/mrz/bench) compares this package with
// the npm package mrz on it.
//
// # Personal data
//
// A zone identifies a person. Nothing in this package logs, and callers
// must not log MRZ lines, parsed fields or keys: log a keyed pseudonym of
// the document number instead.
//
// # References
//
// ICAO Doc 9303, Machine Readable Travel Documents, eighth edition (2021):
// Part 3 (specifications common to all MRTDs: character set, names, dates,
// state codes, check digits), Part 4 (TD3), Part 5 (TD1), Part 6 (TD2),
// Part 7 (visas), Part 11 (security mechanisms: MRZ_information).
// https://www.icao.int/publications/pages/publication.aspx?docnum=9303
package mrz
