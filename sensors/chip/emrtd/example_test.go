package emrtd_test

import (
	"context"
	"crypto/x509"
	"fmt"

	"github.com/egate/egate/sensors/chip/chiptest"
	"github.com/egate/egate/sensors/chip/emrtd"
	"github.com/egate/egate/sensors/chip/pa"
)

// Example reads a simulated passport with BAC and prints what a lane may
// log: the protocol and the check results, never the MRZ.
func Example() {
	pki, _ := chiptest.NewPKI(chiptest.PKIOpts{Country: "NL"})
	doc, _ := chiptest.NewDocument(chiptest.DocumentOpts{PKI: pki})
	card := chiptest.NewPassport(doc, chiptest.PassportOpts{})

	// On a lane: card, _ := pcsc.Open(&pcsc.Opts{Reader: cfg.Reader}) and
	// card.WaitCard(ctx); the key comes from the OCR'd MRZ.
	res, err := emrtd.Read(context.Background(), card, emrtd.Opts{
		Key:   doc.Key,
		Trust: &pa.TrustStore{CSCAs: []*x509.Certificate{pki.CSCA}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Access, res.Faces[0].Format, res.PA.Passed())
	for _, c := range res.PA.Checks {
		fmt.Println(c.Name, c.Status)
	}
	// Output:
	// BAC jpeg true
	// sod_signature pass
	// ds_signature pass
	// ds_validity pass
	// ds_revocation not_checked
	// sod_vs_com pass
	// dg_hashes pass
	// dg1_vs_mrz not_checked
	// country_vs_ds pass
}
