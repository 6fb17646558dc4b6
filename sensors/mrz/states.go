package mrz

import "strings"

// iso3166 is ISO 3166-1 alpha-3, the base of the ICAO 9303 Part 3 codes
// for nationality and issuing state.
const iso3166 = `
ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE
BDI BEL BEN BES BFA BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA
CAF CAN CCK CHE CHL CHN CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE
DEU DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM
GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY
HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN
KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA
MAC MAF MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT
NAM NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT PRY PSE PYF
QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR
TCA TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB
VAT VCT VEN VGB VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE
`

// icaoCodes are the codes ICAO 9303 Part 3 adds or reserves: Germany's
// D, the British nationality classes, UN and other issuing organisations,
// the specimen state Utopia, and the stateless / refugee / unspecified
// codes. RKS (Kosovo) is printed on real documents though listed by
// neither; it is here so those documents raise no warning.
const icaoCodes = `
D GBD GBN GBO GBP GBS UNO UNA UNK EUE
XBA XIM XCC XCE XCO XEC XES XMP XOM XPO XDC
XXA XXB XXC XXX UTO RKS
`

var knownStates = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(iso3166 + icaoCodes) {
		m[c] = true
	}
	return m
}()

// KnownState reports whether code (fillers stripped, e.g. "D", "UTO") is an
// ISO 3166-1 alpha-3 code or one ICAO 9303 Part 3 adds. The parser only
// warns about unknown codes, since new ones appear faster than firmware
// is updated.
func KnownState(code string) bool { return knownStates[strings.TrimRight(code, "<")] }
