// Package enrichtest writes small MaxMind-format databases with known
// networks, laid out as GeoLite2 City, GeoLite2 ASN and DB-IP Lite
// Country files are, for tests and examples (real databases may not be
// redistributed with the code).
package enrichtest

import (
	"fmt"
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Network is one network of the test databases and what they say of it.
type Network struct {
	CIDR                                          string
	City, Region, RegionISO, Postal, TimeZone     string
	Country, CountryISO, Continent, ContinentCode string
	Lat, Lon                                      float64
	ASN                                           uint32
	ASOrg                                         string
}

// Networks are the networks of the test databases: MaxMind's own test
// addresses and a few others, all public.
var Networks = []Network{
	{CIDR: "81.2.69.0/24", City: "London", Region: "England", RegionISO: "ENG", Postal: "SW1A", TimeZone: "Europe/London",
		Country: "United Kingdom", CountryISO: "GB", Continent: "Europe", ContinentCode: "EU", Lat: 51.5142, Lon: -0.0931, ASN: 20712, ASOrg: "Andrews & Arnold Ltd"},
	{CIDR: "89.160.20.0/24", City: "Linköping", Region: "Östergötland County", RegionISO: "E", Postal: "587 26", TimeZone: "Europe/Stockholm",
		Country: "Sweden", CountryISO: "SE", Continent: "Europe", ContinentCode: "EU", Lat: 58.4167, Lon: 15.6167, ASN: 29518, ASOrg: "Bredband2 AB"},
	{CIDR: "31.254.128.0/18", City: "Kyiv", Region: "Kyiv City", RegionISO: "30", TimeZone: "Europe/Kyiv",
		Country: "Ukraine", CountryISO: "UA", Continent: "Europe", ContinentCode: "EU", Lat: 50.4547, Lon: 30.5238, ASN: 64500, ASOrg: "Example Transit"},
	{CIDR: "13.107.0.0/16", City: "Redmond", Region: "Washington", RegionISO: "WA", Postal: "98052", TimeZone: "America/Los_Angeles",
		Country: "United States", CountryISO: "US", Continent: "North America", ContinentCode: "NA", Lat: 47.6801, Lon: -122.1206, ASN: 8068, ASOrg: "Microsoft Corporation"},
	{CIDR: "78.232.0.0/16", City: "Paris", Region: "Île-de-France", RegionISO: "IDF", Postal: "75001", TimeZone: "Europe/Paris",
		Country: "France", CountryISO: "FR", Continent: "Europe", ContinentCode: "EU", Lat: 48.8582, Lon: 2.3387, ASN: 12322, ASOrg: "Free SAS"},
	{CIDR: "195.98.240.0/24", City: "Amsterdam", Region: "North Holland", RegionISO: "NH", TimeZone: "Europe/Amsterdam",
		Country: "Netherlands", CountryISO: "NL", Continent: "Europe", ContinentCode: "EU", Lat: 52.3759, Lon: 4.8975, ASN: 64502, ASOrg: "Example Hosting"},
	{CIDR: "87.8.0.0/16", City: "Rome", Region: "Lazio", RegionISO: "62", TimeZone: "Europe/Rome",
		Country: "Italy", CountryISO: "IT", Continent: "Europe", ContinentCode: "EU", Lat: 41.8904, Lon: 12.5126, ASN: 3269, ASOrg: "Telecom Italia"},
	{CIDR: "2a02:cf40::/29", City: "Oslo", Region: "Oslo County", RegionISO: "03", TimeZone: "Europe/Oslo",
		Country: "Norway", CountryISO: "NO", Continent: "Europe", ContinentCode: "EU", Lat: 59.955, Lon: 10.859, ASN: 64501, ASOrg: "Example Nordic"},
}

func names(en string) mmdbtype.Map { return mmdbtype.Map{"en": mmdbtype.String(en)} }

// WriteCity writes a database laid out as GeoLite2-City.
func WriteCity(path string) error {
	return write(path, "GeoLite2-City", func(n Network) mmdbtype.Map {
		m := mmdbtype.Map{
			"city":      mmdbtype.Map{"names": names(n.City)},
			"continent": mmdbtype.Map{"code": mmdbtype.String(n.ContinentCode), "names": names(n.Continent)},
			"country":   mmdbtype.Map{"iso_code": mmdbtype.String(n.CountryISO), "names": names(n.Country)},
			"location": mmdbtype.Map{"latitude": mmdbtype.Float64(n.Lat), "longitude": mmdbtype.Float64(n.Lon),
				"time_zone": mmdbtype.String(n.TimeZone), "accuracy_radius": mmdbtype.Uint16(20)},
			"subdivisions":       mmdbtype.Slice{mmdbtype.Map{"iso_code": mmdbtype.String(n.RegionISO), "names": names(n.Region)}},
			"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String(n.CountryISO), "names": names(n.Country)},
		}
		if n.Postal != "" {
			m["postal"] = mmdbtype.Map{"code": mmdbtype.String(n.Postal)}
		}
		return m
	})
}

// WriteASN writes a database laid out as GeoLite2-ASN (and DB-IP's ASN Lite).
func WriteASN(path string) error {
	return write(path, "GeoLite2-ASN", func(n Network) mmdbtype.Map {
		return mmdbtype.Map{
			"autonomous_system_number":       mmdbtype.Uint32(n.ASN),
			"autonomous_system_organization": mmdbtype.String(n.ASOrg),
		}
	})
}

// WriteDBIPCountry writes a database laid out as DB-IP's Country Lite.
func WriteDBIPCountry(path string) error {
	return write(path, "DBIP-Country-Lite", func(n Network) mmdbtype.Map {
		return mmdbtype.Map{
			"continent": mmdbtype.Map{"code": mmdbtype.String(n.ContinentCode), "geoname_id": mmdbtype.Uint32(1), "names": names(n.Continent)},
			"country":   mmdbtype.Map{"iso_code": mmdbtype.String(n.CountryISO), "is_in_european_union": mmdbtype.Bool(n.ContinentCode == "EU"), "names": names(n.Country)},
		}
	})
}

func write(path, dbType string, record func(Network) mmdbtype.Map) error {
	t, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 28, Languages: []string{"en"},
		Description: map[string]string{"en": "secpipe test database"}})
	if err != nil {
		return err
	}
	for _, n := range Networks {
		_, ipnet, err := net.ParseCIDR(n.CIDR)
		if err != nil {
			return err
		}
		if err := t.Insert(ipnet, record(n)); err != nil {
			return fmt.Errorf("%s: %w", n.CIDR, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := t.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
