// Command gendata writes the example's GeoIP databases, city.mmdb and
// asn.mmdb, laid out as GeoLite2 City and ASN are, with the networks of
// package enrichtest (real GeoLite2 files may not be redistributed):
//
//	go run ./examples/soc/gendata examples/soc/data
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/secpipe/secpipe/pkg/enrich/enrichtest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendata DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	for name, write := range map[string]func(string) error{"city.mmdb": enrichtest.WriteCity, "asn.mmdb": enrichtest.WriteASN} {
		if err := write(filepath.Join(dir, name)); err != nil {
			fmt.Fprintln(os.Stderr, "gendata:", err)
			os.Exit(1)
		}
	}
}
